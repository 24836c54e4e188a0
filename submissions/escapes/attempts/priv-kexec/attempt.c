/* SPDX-License-Identifier: MIT */
/* priv-kexec: kexec_load with no segments (would unload or replace the host's crash kernel).
 * Expected: never-allow list: SV (and CAP_SYS_BOOT in the initial namespace: EPERM). */
#include <linux/kexec.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	if (syscall(SYS_kexec_load, 0UL, 0UL, NULL, (unsigned long)KEXEC_ARCH_DEFAULT) == 0) {
		puts("ESCAPED kexec_load");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
