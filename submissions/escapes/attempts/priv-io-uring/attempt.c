/* SPDX-License-Identifier: MIT */
/* priv-io-uring: sets up an io_uring: its operations (openat, connect...) run in the kernel
 * without passing the seccomp filter, so one ring would bypass the whole policy. Expected:
 * io_uring_setup is on the never-allow list: SV. */
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	if (syscall(SYS_io_uring_setup, 4, &p) >= 0) {
		puts("ESCAPED io_uring_setup");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
