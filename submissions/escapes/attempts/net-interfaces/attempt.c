/* SPDX-License-Identifier: MIT */
/* net-interfaces: looks at the network through /proc without any socket call: interfaces in
 * /proc/net/dev, listening TCP/UDP sockets in /proc/net/{tcp,tcp6,udp,udp6} (the host's
 * ssh, the grader's API), unix sockets in /proc/net/unix, routes in /proc/net/route. Anything
 * but the loopback and empty tables is the host's network. Expected: a fresh network
 * namespace: only "lo", no sockets, no routes. */
#include <stdio.h>
#include <string.h>

/* Number of lines of @path after its @skip header lines; -1 if it cannot be read. */
static int
lines(const char *path, int skip, char *first, size_t size)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (skip-- <= 0 && n++ == 0 && first)
			snprintf(first, size, "%s", line);
	fclose(f);
	return n;
}

int
main(void)
{
	char first[512] = "";
	FILE *f = fopen("/proc/net/dev", "re");
	char line[512];
	int skip = 2;
	while (f && fgets(line, sizeof(line), f)) {
		if (skip-- > 0)
			continue;
		char name[64];
		if (sscanf(line, " %63[^:]:", name) == 1 && strcmp(name, "lo") != 0) {
			printf("ESCAPED interface %s is visible\n", name);
			return 0;
		}
	}
	static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp",
					     "/proc/net/udp6", "/proc/net/unix", "/proc/net/route",
					     NULL};
	for (int i = 0; tables[i]; i++) {
		int n = lines(tables[i], 1, first, sizeof(first));
		if (n > 0) {
			first[strcspn(first, "\n")] = 0;
			printf("ESCAPED %s has %d entries: %.80s\n", tables[i], n, first);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
