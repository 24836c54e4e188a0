/* Correct but quadratic: the student bubble-sorts the numbers first ("to add the small ones
 * first"), about 5e9 compare-and-swap steps for the 100000-number test, far beyond its 1 s CPU
 * limit (tens of seconds on a desktop). Instant for the small tests. No sleeping: it burns CPU,
 * so the CPU limit, not the wall clock, must stop it. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	long long n, sum = 0;

	if (scanf("%lld", &n) != 1 || n < 0)
		return 1;
	long long *a = malloc((size_t)(n ? n : 1) * sizeof(*a));
	if (!a)
		return 1;
	for (long long i = 0; i < n; i++)
		if (scanf("%lld", &a[i]) != 1)
			return 1;
	for (long long i = 0; i < n; i++)
		for (long long j = 0; j + 1 < n - i; j++)
			if (a[j] > a[j + 1]) {
				long long t = a[j];
				a[j] = a[j + 1];
				a[j + 1] = t;
			}
	for (long long i = 0; i < n; i++)
		sum += a[i];
	printf("%lld\n", sum);
	free(a);
	return 0;
}
