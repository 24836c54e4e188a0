/* SPDX-License-Identifier: MIT */
/* fs-mount: mounts a tmpfs over /box, then tries to bind the root elsewhere and remount / rw.
 * Expected: mount is on the never-allow list: SV. (Even allowed, the mount namespace belongs
 * to the initial user namespace, so it would be EPERM.) */
#include <stdio.h>
#include <sys/mount.h>

int
main(void)
{
	if (mount("none", "/tmp", "tmpfs", 0, "size=1m") == 0) {
		puts("ESCAPED mounted a tmpfs on /tmp");
		return 0;
	}
	if (mount("/", "/tmp", NULL, MS_BIND | MS_REC, NULL) == 0) {
		puts("ESCAPED bind-mounted /");
		return 0;
	}
	if (mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL) == 0) {
		puts("ESCAPED remounted /usr read-write");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
