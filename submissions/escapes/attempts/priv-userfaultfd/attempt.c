/* SPDX-License-Identifier: MIT */
/* priv-userfaultfd: creates a userfaultfd, the standard tool to stall the kernel inside a
 * copy_from_user and win a race in a kernel exploit. Expected: never-allow list: SV. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
	if (fd < 0)
		fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd >= 0) {
		puts("ESCAPED userfaultfd created");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
