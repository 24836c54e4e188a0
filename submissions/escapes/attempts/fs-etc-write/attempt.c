/* SPDX-License-Identifier: MIT */
/* fs-etc-write: adds a root account and a preload library to the image's /etc (in the
 * overlay: a copy-up would be per-run, but the attempt must fail anyway): appends to
 * /etc/passwd, creates /etc/ld.so.preload and /etc/gbx-pwned, writes /, /root and /dev.
 * Nothing is written to an existing file; created files are removed. Expected: the image
 * belongs to a uid that is not mapped in the sandbox (EACCES); /dev is read-only (EROFS). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	if (open("/etc/passwd", O_WRONLY | O_APPEND | O_CLOEXEC) >= 0) {
		puts("ESCAPED opened /etc/passwd for appending");
		return 0;
	}
	static const char *const news[] = {"/etc/ld.so.preload", "/etc/gbx-pwned", "/gbx-pwned",
					   "/root/gbx-pwned", "/dev/gbx-pwned",
					   "/box/../etc/gbx-pwned", NULL};
	for (int i = 0; news[i]; i++) {
		int fd = open(news[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0) {
			close(fd);
			(void)unlink(news[i]);
			printf("ESCAPED created %s\n", news[i]);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
