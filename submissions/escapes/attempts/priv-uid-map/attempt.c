/* SPDX-License-Identifier: MIT */
/* priv-uid-map: rewrites its user namespace's uid and gid maps to map host root ("0 0 1"),
 * and checks that the map it lives under does not map the sandbox's root to the host's.
 * Expected: the maps are written once by the supervisor (EPERM) and map 0 to a high
 * unprivileged host uid; setgroups is "deny". */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	static const char *const maps[] = {"/proc/self/uid_map", "/proc/self/gid_map",
					   "/proc/self/setgroups", NULL};
	static const char *const vals[] = {"0 0 1\n", "0 0 1\n", "allow\n"};
	for (int i = 0; maps[i]; i++) {
		int fd = open(maps[i], O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, vals[i], strlen(vals[i])) > 0) {
			printf("ESCAPED wrote %s\n", maps[i]);
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	unsigned inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	while (f && fscanf(f, "%u %u %u", &inside, &outside, &count) == 3)
		if (outside < 65536) {
			printf("ESCAPED uid %u maps to host uid %u\n", inside, outside);
			return 0;
		}
	puts("BLOCKED");
	return 0;
}
