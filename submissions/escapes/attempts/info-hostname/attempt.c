/* SPDX-License-Identifier: MIT */
/* info-hostname: reads the host name and NIS domain name (uname, /proc/sys/kernel/hostname):
 * the host's name identifies the machine and often the cloud account. Expected: the
 * sandbox's own UTS namespace: "gradebox" (the domain name is "gradebox" too; "(none)"
 * or empty would also reveal nothing). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

int
main(void)
{
	struct utsname u;
	char name[128] = "";
	if (uname(&u) < 0) {
		puts("ERROR uname failed");
		return 1;
	}
	if (strcmp(u.nodename, "gradebox") != 0) {
		printf("ESCAPED host name is '%s'\n", u.nodename);
		return 0;
	}
	if (strcmp(u.domainname, "gradebox") != 0 && strcmp(u.domainname, "(none)") != 0 &&
	    u.domainname[0]) {
		printf("ESCAPED domain name is '%s'\n", u.domainname);
		return 0;
	}
	FILE *f = fopen("/proc/sys/kernel/hostname", "re");
	if (f && fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = 0;
		if (strcmp(name, "gradebox") != 0) {
			printf("ESCAPED /proc/sys/kernel/hostname is '%s'\n", name);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
