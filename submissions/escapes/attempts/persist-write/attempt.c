/* SPDX-License-Identifier: MIT */
/* persist-write: tries to leave files for a later run: /usr/bin/gbx-persist,
 * /etc/gbx-persist and /dev/gbx-persist must fail (read-only image, unmapped owner,
 * read-only /dev); /tmp/gbx-persist, /box/gbx-persist and /dev/shm/gbx-persist are
 * allowed, and deliberately left behind: persist-check (graded later) must not see any of
 * them, since every run gets a fresh writable layer. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
plant(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	(void)write(fd, "gbx-persist\n", 12);
	close(fd);
	return 1;
}

int
main(void)
{
	static const char *const forbidden[] = {"/usr/bin/gbx-persist", "/etc/gbx-persist",
						"/dev/gbx-persist", "/gbx-persist", NULL};
	static const char *const allowed[] = {"/tmp/gbx-persist", "/box/gbx-persist",
					      "/dev/shm/gbx-persist", NULL};
	for (int i = 0; forbidden[i]; i++)
		if (plant(forbidden[i])) {
			printf("ESCAPED left %s\n", forbidden[i]);
			return 0;
		}
	for (int i = 0; allowed[i]; i++)
		(void)plant(allowed[i]);
	puts("BLOCKED");
	return 0;
}
