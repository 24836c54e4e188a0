/* SPDX-License-Identifier: MIT */
/* fs-symlink-out: creates symlinks in /box to /etc/passwd, /etc/shadow and
 * /proc/1/root/etc/passwd and reads through them. A link is resolved in the reader's root, so
 * at most the image's passwd (root, box, nobody) can show up; any other account is the host's
 * passwd: an escape. Expected: run.policy has no symlink: SV (AC if it is ever allowed). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Returns 1 when @path holds a passwd line of an account the image does not have. */
static int
host_passwd(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "root:", 5) && strncmp(line, "box:", 4) &&
		    strncmp(line, "nobody:", 7)) {
			fclose(f);
			return 1;
		}
	fclose(f);
	return 0;
}

int
main(void)
{
	static const char *const targets[] = {"/etc/passwd", "/etc/shadow",
					      "/proc/1/root/etc/passwd", "/../../etc/passwd"};
	char link[64];
	for (unsigned i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
		snprintf(link, sizeof(link), "/box/link%u", i);
		if (symlink(targets[i], link) < 0)
			continue;
		if (host_passwd(link)) {
			printf("ESCAPED read the host's %s through a symlink\n", targets[i]);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
