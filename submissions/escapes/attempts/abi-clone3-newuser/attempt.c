/* SPDX-License-Identifier: MIT */
/* abi-clone3-newuser: clone3 with CLONE_NEWUSER | CLONE_NEWNS: clone3 passes its flags in
 * memory, where seccomp cannot look, so a policy that allows clone3 allows every namespace.
 * A child is an escape. Expected: run.policy answers clone3 with ENOSYS (glibc then falls
 * back to clone, whose flags are checked): BLOCKED. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	struct clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_NEWUSER | CLONE_NEWNS;
	a.exit_signal = SIGCHLD;
	fflush(stdout);
	long pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		(void)waitpid((pid_t)pid, NULL, 0);
		puts("ESCAPED clone3(CLONE_NEWUSER) made a child");
		return 0;
	}
	fprintf(stderr, "clone3: %s\n", strerror(errno));
	puts("BLOCKED");
	return 0;
}
