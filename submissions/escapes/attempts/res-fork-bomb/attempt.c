/* SPDX-License-Identifier: MIT */
/* res-fork-bomb: the classic `for (;;) fork();`: every process forks forever and never
 * exits, so the machine's process table and CPUs fill up. Expected: the cgroup pids limit
 * (32) makes fork fail with EAGAIN, and the spinning processes hit the CPU limit (all
 * processes of the sandbox count): TLE; MLE, SG or RE are containment by a limit too. It
 * never prints: it cannot know when it has been stopped. */
#include <unistd.h>

int
main(void)
{
	for (;;)
		(void)fork();
}
