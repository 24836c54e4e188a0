/* SPDX-License-Identifier: MIT */
/* fs-usr-write: plants a program in the toolchain image (/usr is the host's /usr, bound
 * read-only): creates /usr/bin/gbx-pwned, /usr/local/bin/gbx-pwned, /usr/lib/gbx-pwned.so,
 * opens /usr/bin/gcc for writing, renames a file into /usr/bin, makes a directory in /usr.
 * Anything created is removed again. Expected: EROFS. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(void)
{
	static const char *const news[] = {"/usr/bin/gbx-pwned", "/usr/local/bin/gbx-pwned",
					   "/usr/lib/gbx-pwned.so", "/box/../usr/bin/gbx-pwned",
					   NULL};
	for (int i = 0; news[i]; i++) {
		int fd = open(news[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
		if (fd >= 0) {
			close(fd);
			(void)unlink(news[i]);
			printf("ESCAPED created %s\n", news[i]);
			return 0;
		}
	}
	/* O_WRONLY without O_TRUNC: the permission check, no byte is changed. */
	int fd = open("/usr/bin/gcc", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		puts("ESCAPED opened /usr/bin/gcc for writing");
		return 0;
	}
	fd = open("/box/gbx-pwned", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	if (fd >= 0) {
		close(fd);
		if (rename("/box/gbx-pwned", "/usr/bin/gbx-pwned") == 0) {
			(void)unlink("/usr/bin/gbx-pwned");
			puts("ESCAPED renamed a file into /usr/bin");
			return 0;
		}
	}
	if (mkdir("/usr/gbx-pwned", 0755) == 0) {
		(void)rmdir("/usr/gbx-pwned");
		puts("ESCAPED made a directory in /usr");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
