/* SPDX-License-Identifier: MIT */
/* res-file-size: writes one file past the file size limit (8M in the assignment), with
 * SIGXFSZ ignored so the limit shows as EFBIG. Past 16 MiB is an escape. Expected:
 * RLIMIT_FSIZE: EFBIG at 8 MiB: BLOCKED. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char chunk[65536];

int
main(void)
{
	long long total = 0;
	int err = 0;
	signal(SIGXFSZ, SIG_IGN);
	int fd = open("/tmp/big", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		puts("ERROR cannot create /tmp/big");
		return 1;
	}
	while (total < (64LL << 20)) {
		ssize_t n = write(fd, chunk, sizeof(chunk));
		if (n <= 0) {
			err = n < 0 ? errno : 0;
			break;
		}
		total += n;
	}
	fprintf(stderr, "wrote %lld bytes, then %s\n", total, strerror(err));
	if (total > (16LL << 20) || err != EFBIG) {
		printf("ESCAPED wrote %lld bytes to one file (errno %d)\n", total, err);
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
