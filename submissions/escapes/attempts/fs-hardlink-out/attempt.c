/* SPDX-License-Identifier: MIT */
/* fs-hardlink-out: hard-links /etc/passwd, /etc/shadow and a setuid binary into /box (the
 * CVE-style "link a root file into a writable place, then write or keep it"). Expected:
 * run.policy has no link: SV (if allowed: EXDEV across the overlay/bind, or EPERM for files
 * of an unmapped owner with protected_hardlinks: AC). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	static const char *const targets[] = {"/etc/passwd", "/etc/shadow", "/usr/bin/su",
					      "/usr/bin/passwd"};
	char name[64];
	for (unsigned i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
		snprintf(name, sizeof(name), "/box/hl%u", i);
		if (link(targets[i], name) == 0) {
			printf("ESCAPED hard-linked %s into /box\n", targets[i]);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
