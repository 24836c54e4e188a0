/* HOSTILE (writing outside /box, allowed calls only): before summing, tries to create files
 * in /usr/bin, /usr/lib, /etc, /, /root, /dev and through /box/.. and /proc/1/root, to append
 * to /etc/passwd, to make a directory under /usr and to move a file from /box into /usr/bin.
 * openat/mkdir/rename are allowed by the policy, so the mounts (read-only /usr and /dev,
 * image files owned by an unmapped uid) must stop it. Every attempt that works is reported
 * on stdout as "ESCAPED <path>" and undone (created files are removed, nothing existing is
 * truncated or written), which makes the answer wrong: AC means everything was refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const targets[] = {
	"/usr/bin/gradebox-pwned",
	"/usr/lib/gradebox-pwned",
	"/usr/local/bin/gradebox-pwned",
	"/bin/gradebox-pwned",
	"/etc/gradebox-pwned",
	"/gradebox-pwned",
	"/root/gradebox-pwned",
	"/home/gradebox-pwned",
	"/dev/gradebox-pwned",
	"/box/../gradebox-pwned",
	"/box/../usr/bin/gradebox-pwned",
	"/proc/1/root/usr/bin/gradebox-pwned",
	NULL,
};

int main(void)
{
	long long n, x, sum = 0;
	int fd;

	for (size_t i = 0; targets[i]; i++) {
		fd = open(targets[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0755);
		if (fd >= 0) {
			printf("ESCAPED %s\n", targets[i]);
			close(fd);
			unlink(targets[i]);
		}
	}
	fd = open("/etc/passwd", O_WRONLY | O_APPEND);
	if (fd >= 0) {
		printf("ESCAPED /etc/passwd\n");
		close(fd);
	}
	if (mkdir("/usr/gradebox-pwned", 0755) == 0) {
		printf("ESCAPED /usr/gradebox-pwned/\n");
		rmdir("/usr/gradebox-pwned");
	}
	fd = open("/box/.pwned", O_WRONLY | O_CREAT | O_EXCL, 0755);
	if (fd >= 0) {
		close(fd);
		if (rename("/box/.pwned", "/usr/bin/gradebox-pwned") == 0) {
			printf("ESCAPED rename to /usr/bin/gradebox-pwned\n");
			unlink("/usr/bin/gradebox-pwned");
		}
		unlink("/box/.pwned");
	}
	if (scanf("%lld", &n) != 1)
		return 1;
	for (long long i = 0; i < n; i++) {
		if (scanf("%lld", &x) != 1)
			return 1;
		sum += x;
	}
	printf("%lld\n", sum);
	return 0;
}
