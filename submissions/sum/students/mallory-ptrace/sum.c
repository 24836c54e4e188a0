/* HOSTILE (seccomp): calls ptrace(PTRACE_TRACEME) first. ptrace is on the never-allow list,
 * so the sandbox is killed at the call: SV. If the call were let through, the program would
 * go on to print the right sum and score AC, which would reveal the policy hole. */
#include <stdio.h>
#include <sys/ptrace.h>

int main(void)
{
	long long n, x, sum = 0;

	(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
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
