/* SPDX-License-Identifier: MIT */
/* res-disk-fill: fills the writable layer (/box) and /tmp with 4 MiB files until a write
 * fails, to exhaust the host's disk or memory. More than 64 MiB in either place (4x the
 * assignment's 16M disk limit) is an escape; the write failing with ENOSPC/EFBIG/EDQUOT is a
 * block. Expected: both are tmpfs of the disk size: ENOSPC after ~16 MiB. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char chunk[65536];

/* Bytes written under @dir before a write failed; *err gets the errno. */
static long long
fill(const char *dir, int *err)
{
	long long total = 0;
	char path[128];
	for (int f = 0; f < 64; f++) {
		snprintf(path, sizeof(path), "%s/fill%02d", dir, f);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			*err = errno;
			return total;
		}
		for (int i = 0; i < 64; i++) { /* 4 MiB per file, under the 8M file size limit */
			ssize_t n = write(fd, chunk, sizeof(chunk));
			if (n < 0) {
				*err = errno;
				close(fd);
				return total;
			}
			total += n;
		}
		close(fd);
	}
	*err = 0;
	return total;
}

int
main(void)
{
	static const char *const dirs[] = {"/box", "/tmp"};
	memset(chunk, 'x', sizeof(chunk));
	signal(SIGXFSZ, SIG_IGN);
	for (int i = 0; i < 2; i++) {
		int err = 0;
		long long n = fill(dirs[i], &err);
		fprintf(stderr, "%s: %lld bytes, then %s\n", dirs[i], n, strerror(err));
		if (n > (64LL << 20) || (err != ENOSPC && err != EFBIG && err != EDQUOT)) {
			printf("ESCAPED wrote %lld bytes to %s (errno %d)\n", n, dirs[i], err);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
