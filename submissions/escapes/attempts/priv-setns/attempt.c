/* SPDX-License-Identifier: MIT */
/* priv-setns: joins the namespaces of pid 1 (the sandbox's init; its user namespace handle
 * is the host-owned parent's) through /proc/1/ns/NAME, then our own. Expected: setns is on the
 * never-allow list: SV (the init is not dumpable, so /proc/1/ns is EACCES before that). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	static const char *const ns[] = {"/proc/1/ns/user", "/proc/1/ns/mnt", "/proc/1/ns/net",
					 "/proc/self/ns/user", "/proc/self/ns/mnt", NULL};
	for (int i = 0; ns[i]; i++) {
		int fd = open(ns[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (setns(fd, 0) == 0) {
			printf("ESCAPED setns(%s)\n", ns[i]);
			return 0;
		}
		close(fd);
	}
	puts("BLOCKED");
	return 0;
}
