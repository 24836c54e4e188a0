/* HOSTILE (seccomp, evasive): behaves on small inputs, the ones students can see, and only
 * calls ptrace when N > 1000, i.e. on the hidden 100000-number test. That test is SV; the
 * others pass. The assignment sets security.on_violation = "fail", so one violation zeroes
 * the whole submission: verdict SV, score 0 (with "flag" it would be SV with 70 points). */
#include <stdio.h>
#include <sys/ptrace.h>

int main(void)
{
	long long n, x, sum = 0;

	if (scanf("%lld", &n) != 1)
		return 1;
	if (n > 1000)
		(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	for (long long i = 0; i < n; i++) {
		if (scanf("%lld", &x) != 1)
			return 1;
		sum += x;
	}
	printf("%lld\n", sum);
	return 0;
}
