/* HOSTILE (seccomp, namespaces): the classic first step of a container escape, a new user
 * namespace (root inside it), via unshare() and, failing that, via clone() with
 * CLONE_NEWUSER. unshare is on the never-allow list and run.policy allows clone only without
 * CLONE_NEW* flags: SV at the first call. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long long n, x, sum = 0;

	(void)unshare(CLONE_NEWUSER | CLONE_NEWNS);
	/* Raw clone: glibc's wrapper wants a stack; with 0 the child shares the parent's stack
	 * copy-on-write like fork, and exits at once. */
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (scanf("%lld", &n) != 1)
		return 1;
	for (long long i = 0; i < n; i++) {
		if (scanf("%lld", &x) != 1)
			return 1;
		sum += x;
	}
	printf("%lld\n", sum);
	return 0;
}
