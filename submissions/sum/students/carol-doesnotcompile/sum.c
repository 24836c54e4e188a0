/* Does not compile: missing semicolon, undeclared variable. */
#include <stdio.h>

int main(void)
{
	long long n, sum = 0
	scanf("%lld", &n);
	for (long long i = 0; i < n; i++) {
		scanf("%lld", &x);
		sum += x;
	}
	printf("%lld\n", sum);
	return 0;
}
