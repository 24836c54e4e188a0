/* SPDX-License-Identifier: MIT */
/* fs-dev-nodes: opens host devices by their usual names: the disk, memory, kernel log, the
 * console, a tty (for TIOCSTI), the fuse and kvm devices, a loop device. Expected: the
 * sandbox's /dev holds only null, zero, full, random, urandom (and shm): ENOENT. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	static const char *const devs[] = {"/dev/vda", "/dev/sda", "/dev/mem", "/dev/kmem",
					   "/dev/port", "/dev/kmsg", "/dev/console", "/dev/tty",
					   "/dev/tty0", "/dev/ptmx", "/dev/fuse", "/dev/kvm",
					   "/dev/loop0", "/dev/loop-control", "/dev/net/tun", NULL};
	for (int i = 0; devs[i]; i++) {
		int fd = open(devs[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			printf("ESCAPED opened %s\n", devs[i]);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
