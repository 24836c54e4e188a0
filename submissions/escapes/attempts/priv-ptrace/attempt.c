/* SPDX-License-Identifier: MIT */
/* priv-ptrace: attaches to pid 1 (the sandbox's init, which runs as host root until the
 * program starts and holds the supervisor's pipes) and to the parent. Expected: ptrace is on
 * the never-allow list: SV. */
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <unistd.h>

int
main(void)
{
	if (ptrace(PTRACE_ATTACH, 1, NULL, NULL) == 0) {
		puts("ESCAPED ptrace attached to pid 1");
		return 0;
	}
	if (ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) == 0) {
		puts("ESCAPED ptrace attached to the parent");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
