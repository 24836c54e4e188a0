/* SPDX-License-Identifier: MIT */
/* fs-mknod: creates /box/mem (char 1:1, /dev/mem) and /box/vda (block 254:0, the host disk)
 * and reads them. Expected: run.policy has no mknod/mknodat: SV (and without CAP_MKNOD in the
 * initial user namespace it would be EPERM; /box is nodev anyway). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int
main(void)
{
	char buf[16];
	if (mknod("/box/mem", S_IFCHR | 0600, makedev(1, 1)) == 0) {
		int fd = open("/box/mem", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && read(fd, buf, sizeof(buf)) >= 0) {
			puts("ESCAPED read /dev/mem through a device node");
			return 0;
		}
	}
	if (mknod("/box/vda", S_IFBLK | 0600, makedev(254, 0)) == 0) {
		int fd = open("/box/vda", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && read(fd, buf, sizeof(buf)) >= 0) {
			puts("ESCAPED read the host disk through a device node");
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
