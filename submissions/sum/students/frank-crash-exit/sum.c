/* Prints the right sum, then exits with status 3 (the student "returns the number of
 * lines read"). A non-zero exit is a runtime error whatever the output: RE on every test. */
#include <stdio.h>
#include <stdlib.h>

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
	fflush(stdout);
	exit(3);
}
