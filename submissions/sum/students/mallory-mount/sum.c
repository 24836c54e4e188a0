/* HOSTILE (seccomp): tries to mount a tmpfs over /box and to remount / read-write. mount is
 * on the never-allow list: SV at the first call. Would print the right sum otherwise. */
#include <stdio.h>
#include <sys/mount.h>

int main(void)
{
	long long n, x, sum = 0;

	(void)mount("none", "/box", "tmpfs", 0, "size=1m");
	(void)mount(NULL, "/", NULL, MS_REMOUNT, NULL);
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
