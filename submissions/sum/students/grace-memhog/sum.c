/* HOSTILE (memory): allocates and touches 1 GiB in 16 MiB chunks before doing any work. The
 * 256M memory limit must OOM-kill it: MLE on every test. Do not run on the host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (16UL << 20)

int main(void)
{
	long long n, x, sum = 0;

	for (size_t total = 0; total < (1UL << 30); total += CHUNK) {
		char *p = malloc(CHUNK);
		if (!p)
			abort();
		memset(p, 0xa5, CHUNK); /* touch every page: resident, not just reserved */
	}
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
