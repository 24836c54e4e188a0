/* SPDX-License-Identifier: MIT */
/* res-cpu-spin: spins on the CPU forever (in two processes, to use both cores). Expected: the
 * cgroup CPU counter passes 2 s and the supervisor kills the sandbox: TLE. */
#include <unistd.h>

int
main(void)
{
	volatile unsigned long x = 0;
	(void)fork();
	for (;;)
		x++;
}
