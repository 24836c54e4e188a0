/* SPDX-License-Identifier: MIT */
/* priv-capset: raises every capability in the effective, permitted and inheritable sets with
 * the raw capset call (no libcap in the image). Expected: run.policy has no capset: SV (and
 * with every set empty and the bounding set empty it would be EPERM). */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {
		{0xffffffffu, 0xffffffffu, 0xffffffffu},
		{0xffffffffu, 0xffffffffu, 0xffffffffu},
	};
	if (syscall(SYS_capset, &hdr, data) == 0) {
		puts("ESCAPED capset raised every capability");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
