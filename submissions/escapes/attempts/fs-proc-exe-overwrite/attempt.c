/* SPDX-License-Identifier: MIT */
/* fs-proc-exe-overwrite: the runc escape (CVE-2019-5736): pid 1 of the sandbox is the
 * grader's own binary (gradebox-init); opening /proc/1/exe for writing would let the program
 * overwrite the host's gradebox, run as root next time. Also tries /proc/1/exe for reading (a
 * copy of the host binary), /proc/1/fd/N (the supervisor's pipes and sockets) and
 * /proc/1/map_files. Nothing is written. Expected: init is not dumpable and belongs to an
 * unmapped uid, and nobody in the sandbox holds CAP_SYS_PTRACE: EACCES everywhere. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	if (open("/proc/1/exe", O_WRONLY | O_CLOEXEC) >= 0) {
		puts("ESCAPED opened /proc/1/exe (the host's gradebox) for writing");
		return 0;
	}
	if (open("/proc/1/exe", O_RDONLY | O_CLOEXEC) >= 0) {
		puts("ESCAPED opened /proc/1/exe (the host's gradebox) for reading");
		return 0;
	}
	static const char *const dirs[] = {"/proc/1/fd", "/proc/1/map_files", NULL};
	for (int i = 0; dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)))
				if (e->d_name[0] != '.') {
					printf("ESCAPED listed %s\n", dirs[i]);
					return 0;
				}
			closedir(d);
		}
	}
	char p[32];
	for (int fd = 0; fd < 64; fd++) {
		snprintf(p, sizeof(p), "/proc/1/fd/%d", fd);
		if (open(p, O_RDONLY | O_CLOEXEC) >= 0) {
			printf("ESCAPED opened %s\n", p);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
