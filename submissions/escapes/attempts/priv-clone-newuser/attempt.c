/* SPDX-License-Identifier: MIT */
/* priv-clone-newuser: the raw clone syscall with CLONE_NEWUSER | CLONE_NEWNS (what unshare
 * does, through the door that threads and fork need). Expected: run.policy allows clone only
 * with no CLONE_NEW* flag: SV clone. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		(void)waitpid((pid_t)pid, NULL, 0);
		puts("ESCAPED clone(CLONE_NEWUSER)");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
