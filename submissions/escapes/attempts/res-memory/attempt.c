/* SPDX-License-Identifier: MIT */
/* res-memory: allocates and touches 1 GiB in 1 MiB steps (8x the assignment's 128M).
 * Reaching the end is an escape; malloc failing is a block. Expected: the cgroup memory
 * limit's OOM killer ends it: MLE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	for (int i = 0; i < 1024; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			puts("BLOCKED");
			return 0;
		}
		memset(p, 0xa5, 1 << 20);
	}
	puts("ESCAPED touched 1 GiB");
	return 0;
}
