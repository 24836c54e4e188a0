/* SPDX-License-Identifier: MIT */
/* priv-tiocsti: pushes characters into the input queue of a terminal with TIOCSTI (a shared
 * tty would run them as commands in the grader's shell, CVE-2016-7545 and friends) on stdin,
 * stdout, stderr and /dev/tty. Expected: only vetted ioctl requests pass the policy: SV
 * ioctl. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
main(void)
{
	const char c = '\n';
	int fds[4] = {0, 1, 2, open("/dev/tty", O_RDWR | O_CLOEXEC)};
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0 && ioctl(fds[i], TIOCSTI, &c) == 0) {
			printf("ESCAPED TIOCSTI on fd %d\n", fds[i]);
			return 0;
		}
	puts("BLOCKED");
	return 0;
}
