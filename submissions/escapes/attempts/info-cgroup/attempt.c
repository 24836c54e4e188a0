/* SPDX-License-Identifier: MIT */
/* info-cgroup: reads /proc/self/cgroup and /proc/1/cgroup: a path other than "/" shows
 * the host's cgroup layout (and the sandbox's slot), which the release_agent and cgroup
 * escapes start from. Expected: the sandbox's cgroup namespace is rooted at its own group:
 * "/" in every hierarchy. */
#include <stdio.h>
#include <string.h>

int
main(void)
{
	static const char *const files[] = {"/proc/self/cgroup", "/proc/1/cgroup", NULL};
	char line[1024];
	for (int i = 0; files[i]; i++) {
		FILE *f = fopen(files[i], "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			const char *path = strrchr(line, ':');
			if (path && strcmp(path, ":/") != 0) {
				printf("ESCAPED %s shows %s\n", files[i], line);
				return 0;
			}
		}
		fclose(f);
	}
	puts("BLOCKED");
	return 0;
}
