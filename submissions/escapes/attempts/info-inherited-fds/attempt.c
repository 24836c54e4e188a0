/* SPDX-License-Identifier: MIT */
/* info-inherited-fds: looks for file descriptors the grader leaked into the program: any
 * open fd but 0, 1 and 2 (the database, the seccomp listener, the supervisor's socket, a
 * directory of the host: fchdir on it would be a way out). Also checks that 0, 1 and 2 are
 * not a terminal or a socket of the host. Expected: every other fd is closed before exec;
 * stdin is a file or /dev/null, stdout and stderr are pipes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char p[300], target[256];
	if (!d) {
		puts("ERROR cannot list /proc/self/fd");
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		if (fd > 2) {
			printf("ESCAPED inherited fd %d -> %s\n", fd, target);
			return 0;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && (S_ISSOCK(st.st_mode) || isatty(fd))) {
			printf("ESCAPED fd %d is a %s (%s)\n", fd, isatty(fd) ? "terminal" : "socket",
			       target);
			return 0;
		}
	}
	closedir(d);
	puts("BLOCKED");
	return 0;
}
