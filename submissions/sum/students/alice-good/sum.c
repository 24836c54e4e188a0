/* Reads N, then N integers; prints their sum. 64-bit throughout. */
#include <stdio.h>

int main(void)
{
	long long n, x, sum = 0;

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
