/* SPDX-License-Identifier: MIT */
/* xsb-find: the second half: graded while (or after) xsb-plant runs, it looks for the
 * markers for 3 s: /dev/shm/gbx-marker, /tmp/gbx-xsb-pid, /box/gbx-xsb, and the planter's
 * process (a pid in /proc whose comm is not ours). Seeing any is an escape: a channel between
 * two students' sandboxes. Expected: each sandbox has its own /tmp, /dev/shm, writable layer
 * and pid namespace. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *
found(void)
{
	static const char *const markers[] = {"/dev/shm/gbx-marker", "/tmp/gbx-xsb-pid",
					      "/box/gbx-xsb", NULL};
	for (int i = 0; markers[i]; i++)
		if (access(markers[i], F_OK) == 0)
			return markers[i];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n++;
	if (d)
		closedir(d);
	return n > 2 ? "another process" : NULL;
}

int
main(void)
{
	struct timespec ts = {.tv_nsec = 250000000};
	for (int i = 0; i < 12; i++) {
		const char *what = found();
		if (what) {
			printf("ESCAPED found %s of another sandbox\n", what);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	puts("BLOCKED");
	return 0;
}
