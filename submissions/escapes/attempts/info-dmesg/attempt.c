/* SPDX-License-Identifier: MIT */
/* info-dmesg: reads the kernel log (addresses for KASLR, other tenants' messages): /dev/kmsg,
 * /proc/kmsg, then the syslog syscall (klogctl). Expected: no /dev/kmsg (ENOENT), /proc/kmsg
 * EACCES, and syslog is on the never-allow list: SV. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/klog.h>
#include <unistd.h>

int
main(void)
{
	char buf[4096];
	static const char *const files[] = {"/dev/kmsg", "/proc/kmsg", NULL};
	for (int i = 0; files[i]; i++) {
		int fd = open(files[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0) {
			printf("ESCAPED read the kernel log from %s\n", files[i]);
			return 0;
		}
	}
	if (klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf)) > 0) {
		puts("ESCAPED read the kernel log with syslog(2)");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
