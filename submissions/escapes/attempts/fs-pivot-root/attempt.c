/* SPDX-License-Identifier: MIT */
/* fs-pivot-root: pivot_root("/tmp", "/tmp/old"): swapping the root is how a process with
 * mount rights gets at the old one. Expected: never-allow list: SV. */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	(void)mkdir("/tmp/old", 0755);
	if (syscall(SYS_pivot_root, "/tmp", "/tmp/old") == 0) {
		puts("ESCAPED pivot_root succeeded");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
