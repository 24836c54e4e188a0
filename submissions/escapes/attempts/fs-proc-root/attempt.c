/* SPDX-License-Identifier: MIT */
/* fs-proc-root: walks /proc/<pid>/root and /proc/<pid>/cwd of every visible process (the
 * classic way out of a chroot and of a container that shares a pid namespace with the host).
 * An escape is a /proc/N/root that is not our own root, or a host file that can be opened
 * through /proc/N/{root,cwd} but not directly. Expected: only the sandbox's own processes are
 * visible (pid namespace), and pid 1 (init) is not dumpable: its root is EACCES. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Can @path be opened through /proc/<pid>/@via but not directly? Then it is outside our view. */
static int
outside(const char *pid, const char *via, const char *path)
{
	char p[512];
	snprintf(p, sizeof(p), "/proc/%s/%s%s", pid, via, path);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return 1;
}

int
main(void)
{
	static const char *const host[] = {"/etc/shadow", "/work", "/root/.ssh", "/var/lib/gradebox",
					   "/run/gradebox", NULL};
	struct stat self_root, st;
	char p[512];
	DIR *d;
	struct dirent *e;

	if (stat("/", &self_root) < 0 || !(d = opendir("/proc"))) {
		puts("ERROR cannot stat / or list /proc");
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		/* Another process's root that is not ours: a way into its filesystem view. */
		snprintf(p, sizeof(p), "/proc/%s/root", e->d_name);
		if (stat(p, &st) == 0 &&
		    (st.st_dev != self_root.st_dev || st.st_ino != self_root.st_ino)) {
			printf("ESCAPED %s is another root\n", p);
			return 0;
		}
		for (int i = 0; host[i]; i++)
			if (outside(e->d_name, "root", host[i]) ||
			    outside(e->d_name, "cwd/../../../..", host[i])) {
				printf("ESCAPED opened %s through /proc/%s\n", host[i], e->d_name);
				return 0;
			}
	}
	closedir(d);
	puts("BLOCKED");
	return 0;
}
