/* SPDX-License-Identifier: MIT */
/* info-proc-list: lists the processes it can see in /proc (the host's ssh, the grader and
 * its token on a command line, other students' programs) and probes pids 1..65535 with
 * kill(pid, 0). More than a handful, or any process that is not ours (init and the program),
 * is an escape. Expected: a fresh pid namespace: pid 1 (the sandbox's init) and pid 2 (us). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], comm[64];
	int n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		n++;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		FILE *f = fopen(path, "re");
		if (f && fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (strcmp(comm, "attempt") && strcmp(comm, "gradebox-init")) {
				printf("ESCAPED sees pid %s (%s)\n", e->d_name, comm);
				return 0;
			}
		}
		if (f)
			fclose(f);
	}
	if (n > 4) {
		printf("ESCAPED sees %d processes\n", n);
		return 0;
	}
	int alive = 0;
	for (pid_t p = 1; p < 65536; p++)
		if (kill(p, 0) == 0 || errno == EPERM)
			alive++;
	if (alive > 4) {
		printf("ESCAPED kill(pid, 0) found %d processes\n", alive);
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
