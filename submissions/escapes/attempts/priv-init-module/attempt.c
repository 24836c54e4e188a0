/* SPDX-License-Identifier: MIT */
/* priv-init-module: loads a kernel module (an empty image, then finit_module on a file):
 * code in ring 0. Expected: never-allow list: SV. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	static char image[64];
	if (syscall(SYS_init_module, image, sizeof(image), "") == 0) {
		puts("ESCAPED init_module");
		return 0;
	}
	int fd = open("/box/attempt", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0) {
		puts("ESCAPED finit_module");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
