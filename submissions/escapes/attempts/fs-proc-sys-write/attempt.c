/* SPDX-License-Identifier: MIT */
/* fs-proc-sys-write: opens kernel tunables for writing: core_pattern (a host-root code
 * execution on the next crash), modprobe, hostname, max_user_namespaces (re-enabling nested
 * user namespaces), sysrq-trigger. Opening one for writing is already the escape; nothing is
 * written. Expected: EACCES: they belong to the initial namespace's root, which is unmapped. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	static const char *const knobs[] = {
		"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
		"/proc/sys/kernel/hostname", "/proc/sys/user/max_user_namespaces",
		"/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/vm/drop_caches",
		"/proc/sysrq-trigger", "/proc/sys/fs/protected_hardlinks", NULL,
	};
	for (int i = 0; knobs[i]; i++) {
		int fd = open(knobs[i], O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			printf("ESCAPED opened %s for writing\n", knobs[i]);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
