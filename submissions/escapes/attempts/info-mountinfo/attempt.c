/* SPDX-License-Identifier: MIT */
/* info-mountinfo: reads the mount table (/proc/self/mountinfo, /proc/mounts) looking for the
 * host's layout: /work (the checkout), /home, /root, /var/lib, /srv, the host's / (a mount
 * point "/" of a non-overlay filesystem), the overlay's layers by their host paths (which
 * would say where the image and the job's scratch live, its job id among them), and counts
 * mounts. Expected: only the sandbox's own mounts (overlay /, /usr, /proc, /dev, /dev/shm,
 * /tmp), the overlay's layers named l1, image, upper and work. */
#include <stdio.h>
#include <string.h>

int
main(void)
{
	static const char *const host[] = {" /work", " /home", " /root", " /var/lib", " /srv",
					   " /etc/", " /sys", NULL};
	char line[4096];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		puts("ERROR cannot read /proc/self/mountinfo");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		for (int i = 0; host[i]; i++)
			if (strstr(line, host[i])) {
				line[strcspn(line, "\n")] = 0;
				printf("ESCAPED host path in the mount table: %.120s\n", line);
				return 0;
			}
		static const char *const layer_opts[] = {"lowerdir=/", "upperdir=/", "workdir=/",
							 ":/", NULL};
		for (int i = 0; layer_opts[i]; i++)
			if (strstr(line, " overlay ") && strstr(line, layer_opts[i])) {
				line[strcspn(line, "\n")] = 0;
				printf("ESCAPED the overlay names host paths: %.160s\n", line);
				return 0;
			}
		char root[1024], point[1024], fstype[64];
		if (sscanf(line, "%*d %*d %*s %1023s %1023s %*[^-]- %63s", root, point, fstype) == 3 &&
		    strcmp(point, "/") == 0 && strcmp(fstype, "overlay") != 0) {
			printf("ESCAPED / is the host's %s filesystem\n", fstype);
			return 0;
		}
	}
	fclose(f);
	if (n > 12) {
		printf("ESCAPED %d mounts visible\n", n);
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
