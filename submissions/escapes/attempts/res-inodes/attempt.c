/* SPDX-License-Identifier: MIT */
/* res-inodes: creates empty files in /tmp and then /box until creation fails (exhausts the
 * host's inodes or dentry memory without writing a byte). More than 200000 files in one place
 * is an escape. Expected: the tmpfs inode limit (nr_inodes) gives ENOSPC. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
fill(const char *dir, int *err)
{
	char path[128];
	int n = 0;
	*err = 0;
	snprintf(path, sizeof(path), "%s/inodes", dir);
	if (mkdir(path, 0755) < 0) {
		*err = errno;
		return 0;
	}
	while (n < 200001) {
		snprintf(path, sizeof(path), "%s/inodes/%d", dir, n);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			*err = errno;
			break;
		}
		close(fd);
		n++;
	}
	return n;
}

int
main(void)
{
	static const char *const dirs[] = {"/tmp", "/box"};
	for (int i = 0; i < 2; i++) {
		int err;
		int n = fill(dirs[i], &err);
		fprintf(stderr, "%s: %d files, then %s\n", dirs[i], n, strerror(err));
		if (n > 200000 || (err != ENOSPC && err != EDQUOT)) {
			printf("ESCAPED created %d files in %s (errno %d)\n", n, dirs[i], err);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
