/* SPDX-License-Identifier: MIT */
/* info-environ: looks for secrets in its environment (tokens, keys, passwords, the grader's
 * settings, ssh or gpg agents, sudo leftovers) and in the environment of pid 1 (the sandbox's
 * init, started by the grader). Expected: only PATH HOME TMPDIR LANG USER LOGNAME, set by the
 * supervisor; /proc/1/environ is EACCES (init is not dumpable). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int
main(void)
{
	static const char *const ok[] = {"PATH=", "HOME=", "TMPDIR=", "LANG=", "USER=",
					 "LOGNAME=", "PWD=", "LC_ALL=", NULL};
	for (char **e = environ; *e; e++) {
		int fine = 0;
		for (int i = 0; ok[i]; i++)
			fine |= strncmp(*e, ok[i], strlen(ok[i])) == 0;
		if (!fine) {
			printf("ESCAPED environment has %.*s\n", (int)strcspn(*e, "="), *e);
			return 0;
		}
	}
	char buf[4096];
	int fd = open("/proc/1/environ", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			puts("ESCAPED read the environment of pid 1");
			return 0;
		}
		close(fd);
	}
	puts("BLOCKED");
	return 0;
}
