/* SPDX-License-Identifier: MIT */
/* info-kallsyms: reads kernel symbol addresses from /proc/kallsyms and /proc/modules (defeats
 * KASLR for a kernel exploit). A non-zero address is an escape. Expected: kptr_restrict hides
 * the addresses (all zero) from a reader without CAP_SYSLOG in the initial namespace. */
#include <stdio.h>
#include <string.h>

int
main(void)
{
	char line[512];
	FILE *f = fopen("/proc/kallsyms", "re");
	for (int i = 0; f && i < 1000 && fgets(line, sizeof(line), f); i++)
		if (strspn(line, "0") < 16) {
			line[strcspn(line, "\n")] = 0;
			printf("ESCAPED kallsyms shows an address: %.60s\n", line);
			return 0;
		}
	if (f)
		fclose(f);
	f = fopen("/proc/modules", "re");
	while (f && fgets(line, sizeof(line), f)) {
		const char *addr = strstr(line, " 0x");
		if (addr && strspn(addr + 3, "0") < 16) {
			line[strcspn(line, "\n")] = 0;
			printf("ESCAPED /proc/modules shows an address: %.60s\n", line);
			return 0;
		}
	}
	puts("BLOCKED");
	return 0;
}
