/* SPDX-License-Identifier: MIT */
/* cpuspin MS: burns MS milliseconds of this process's CPU time (CLOCK_PROCESS_CPUTIME_ID),
 * then prints "RESULT done cpuspin cpu_ms=X wall_ms=Y" with the process's own CPU clock at
 * exit (which includes exec and startup) and exits 0. Harmless; the benchmark runs it bare. */
#include "probe.h"

static volatile unsigned long sink; /* keeps the busy loop from being optimised away */

int
main(int argc, char **argv)
{
	double target, wall0 = probe_clock_ms(CLOCK_MONOTONIC);

	probe_init();
	if (argc != 2 || (target = atof(argv[1])) < 0) {
		fprintf(stderr, "usage: %s MS\n", argv[0]);
		return PROBE_EXIT_USAGE;
	}
	while (probe_clock_ms(CLOCK_PROCESS_CPUTIME_ID) < target)
		for (int i = 0; i < 10000; i++)
			sink += (unsigned long)i * 2654435761UL;
	printf("RESULT done cpuspin cpu_ms=%.3f wall_ms=%.3f\n",
	       probe_clock_ms(CLOCK_PROCESS_CPUTIME_ID), probe_clock_ms(CLOCK_MONOTONIC) - wall0);
	return 0;
}
