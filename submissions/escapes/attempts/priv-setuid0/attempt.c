/* SPDX-License-Identifier: MIT */
/* priv-setuid0: becomes root: setuid(0), then setresuid(0,0,0). Expected: run.policy has
 * no setuid family: SV (and without CAP_SETUID it would be EPERM). */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	if (setuid(0) == 0 && getuid() == 0) {
		puts("ESCAPED setuid(0)");
		return 0;
	}
	if (setresuid(0, 0, 0) == 0 && geteuid() == 0) {
		puts("ESCAPED setresuid(0,0,0)");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
