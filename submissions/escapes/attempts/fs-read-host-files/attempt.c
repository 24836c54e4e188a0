/* SPDX-License-Identifier: MIT */
/* fs-read-host-files: reads secrets of the host by name: /etc/shadow, root's ssh keys and
 * history, the checkout under /work, the grader's state under /run/gradebox and
 * /var/lib/gradebox, also spelled through /box/.. . A file read with data or a directory
 * listed with entries is an escape. Expected: the image has none of them (ENOENT) or they
 * belong to an unmapped uid (EACCES). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const paths[] = {
	"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/ssh_host_ed25519_key",
	"/root", "/root/.ssh/id_rsa", "/root/.ssh/authorized_keys", "/root/.bash_history",
	"/home", "/work", "/work/main/README.md", "/work/shared", "/run/gradebox",
	"/run/gradebox/evidence", "/var/lib/gradebox", "/box/../etc/shadow",
	"/box/../../../root/.ssh/id_rsa", "/box/../work", "/tmp/../root", NULL,
};

/* > 0 when @p gave data: a non-empty file or a directory with entries. */
static int
leaks(const char *p)
{
	struct stat st;
	char buf[256];
	if (stat(p, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(p);
		struct dirent *e;
		int n = 0;
		if (!d)
			return 0;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				n++;
		closedir(d);
		return n;
	}
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0;
}

int
main(void)
{
	for (int i = 0; paths[i]; i++)
		if (leaks(paths[i])) {
			printf("ESCAPED read %s\n", paths[i]);
			return 0;
		}
	puts("BLOCKED");
	return 0;
}
