/* SPDX-License-Identifier: MIT */
/* priv-status-caps: reads its own credentials from /proc/self/status: any capability in
 * the effective, permitted, inheritable, bounding or ambient set, a uid or gid other than
 * 1000, a supplementary group, no no_new_privs or no seccomp filter is a way up. Expected:
 * CapXxx all 0, NoNewPrivs 1, Seccomp 2, Uid/Gid 1000, Groups empty. */
#include <stdio.h>
#include <string.h>

int
main(void)
{
	char line[512];
	int checked = 0;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f) {
		puts("ERROR cannot read /proc/self/status");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		const char *v = strchr(line, ':');
		if (!v)
			continue;
		v += strspn(v + 1, " \t") + 1;
		int bad = 0;
		if (!strncmp(line, "Cap", 3)) {
			bad = strspn(v, "0") != strlen(v);
			checked++;
		} else if (!strncmp(line, "NoNewPrivs:", 11)) {
			bad = strcmp(v, "1") != 0;
			checked++;
		} else if (!strncmp(line, "Seccomp:", 8)) {
			bad = strcmp(v, "2") != 0;
			checked++;
		} else if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4)) {
			unsigned a, b, c, d;
			bad = sscanf(v, "%u %u %u %u", &a, &b, &c, &d) != 4 || a != 1000 ||
			      b != 1000 || c != 1000 || d != 1000;
			checked++;
		} else if (!strncmp(line, "Groups:", 7)) {
			bad = v[0] != 0;
			checked++;
		}
		if (bad) {
			printf("ESCAPED %s\n", line);
			return 0;
		}
	}
	fclose(f);
	if (checked != 10) {
		printf("ERROR only %d of 10 credential lines found\n", checked);
		return 1;
	}
	puts("BLOCKED");
	return 0;
}
