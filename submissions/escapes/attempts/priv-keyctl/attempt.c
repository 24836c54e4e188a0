/* SPDX-License-Identifier: MIT */
/* priv-keyctl: reads the user keyring and adds a key: the kernel keyring is not namespaced
 * (user keyrings of host uids are a cross-tenant channel; several CVEs). Expected: keyctl is on
 * the never-allow list: SV. */
#include <linux/keyctl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
	if (id >= 0) {
		printf("ESCAPED keyctl reached the user keyring %ld\n", id);
		return 0;
	}
	if (syscall(SYS_add_key, "user", "gbx", "x", 1, KEY_SPEC_SESSION_KEYRING) >= 0) {
		puts("ESCAPED add_key");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
