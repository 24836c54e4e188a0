/* HOSTILE (output): prints the right sum, then debug output forever. The 1M output limit
 * must stop it: OLE on every test. Do not run on the host unbounded. */
#include <stdio.h>
#include <string.h>

int main(void)
{
	long long n, x, sum = 0;
	char line[4096];

	if (scanf("%lld", &n) != 1)
		return 1;
	for (long long i = 0; i < n; i++) {
		if (scanf("%lld", &x) != 1)
			return 1;
		sum += x;
	}
	printf("%lld\n", sum);
	memset(line, 'y', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (;;)
		fwrite(line, 1, sizeof(line), stdout);
}
