/* SPDX-License-Identifier: MIT */
/* res-shm-fill: fills /dev/shm (a tmpfs: memory, not disk) with 1 MiB files. More than
 * 256 MiB is an escape (twice the assignment's memory limit: the pages were not charged to
 * the sandbox). Expected: the tmpfs size (ENOSPC) or the cgroup memory limit (tmpfs pages are
 * charged to the writer's cgroup: OOM kill, MLE) stops it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char chunk[1 << 20];

int
main(void)
{
	long long total = 0;
	char path[64];
	int err = 0;
	memset(chunk, 'x', sizeof(chunk));
	for (int f = 0; f < 512 && !err; f++) {
		snprintf(path, sizeof(path), "/dev/shm/fill%03d", f);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			err = errno;
			break;
		}
		ssize_t n = write(fd, chunk, sizeof(chunk));
		if (n < (ssize_t)sizeof(chunk))
			err = n < 0 ? errno : ENOSPC;
		if (n > 0)
			total += n;
		close(fd);
	}
	fprintf(stderr, "/dev/shm: %lld bytes, then %s\n", total, strerror(err));
	if (total > (256LL << 20) || (err != ENOSPC && err != ENOENT && err != EROFS)) {
		printf("ESCAPED wrote %lld bytes to /dev/shm\n", total);
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
