/* SPDX-License-Identifier: MIT */
/* res-open-files: opens /dev/null until open fails (kernel memory, the host's file table).
 * More than 1024 descriptors (16x the assignment's 64) is an escape; EMFILE is a block.
 * Expected: RLIMIT_NOFILE: EMFILE at 64. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	int n = 0, err = 0;
	while (n < 100000) {
		if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0) {
			err = errno;
			break;
		}
		n++;
	}
	fprintf(stderr, "opened %d, then %s\n", n, strerror(err));
	if (n > 1024 || err != EMFILE) {
		printf("ESCAPED opened %d files (errno %d)\n", n, err);
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
