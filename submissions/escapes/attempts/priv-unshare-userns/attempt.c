/* SPDX-License-Identifier: MIT */
/* priv-unshare-userns: unshare(CLONE_NEWUSER | CLONE_NEWNS): a nested user namespace makes
 * its creator "root" with every capability over new namespaces, the first step of most
 * container-escape exploits. Expected: unshare is on the never-allow list: SV (and
 * max_user_namespaces is 0 inside: ENOSPC). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>

int
main(void)
{
	if (unshare(CLONE_NEWUSER) == 0) {
		puts("ESCAPED unshare(CLONE_NEWUSER)");
		return 0;
	}
	if (unshare(CLONE_NEWNS) == 0) {
		puts("ESCAPED unshare(CLONE_NEWNS)");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
