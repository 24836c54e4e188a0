/* SPDX-License-Identifier: MIT */
/* persist-check: graded after persist-write: looks for every file it planted (or tried to
 * plant). Seeing any of them means state survived from one run (or one submission) to the
 * next. Expected: none exists: each run has a fresh writable layer and /tmp. */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	static const char *const planted[] = {
		"/usr/bin/gbx-persist", "/etc/gbx-persist", "/dev/gbx-persist", "/gbx-persist",
		"/tmp/gbx-persist", "/box/gbx-persist", "/dev/shm/gbx-persist", NULL,
	};
	for (int i = 0; planted[i]; i++)
		if (access(planted[i], F_OK) == 0) {
			printf("ESCAPED found %s from an earlier run\n", planted[i]);
			return 0;
		}
	puts("BLOCKED");
	return 0;
}
