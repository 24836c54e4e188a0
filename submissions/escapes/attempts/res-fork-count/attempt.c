/* SPDX-License-Identifier: MIT */
/* res-fork-count: the measuring fork bomb: forks children that just sleep, until fork
 * fails, and counts them. More than 64 processes (twice the assignment's pids limit) is an
 * escape from the limit. Then it kills its children and prints. Expected: fork fails with
 * EAGAIN at the cgroup pids limit (32, with RLIMIT_NPROC behind it): BLOCKED. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX 4096

int
main(void)
{
	static pid_t kids[MAX];
	int n = 0, err = 0;
	fflush(stdout);
	while (n < MAX) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			struct timespec ts = {.tv_sec = 30};
			nanosleep(&ts, NULL);
			_exit(0);
		}
		kids[n++] = p;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	if (n > 64) {
		printf("ESCAPED forked %d processes\n", n);
		return 0;
	}
	fprintf(stderr, "forked %d processes, then errno %d\n", n, err);
	puts("BLOCKED");
	return 0;
}
