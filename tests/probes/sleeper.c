/* SPDX-License-Identifier: MIT */
/* sleeper SEC: sleeps SEC seconds (fractional) of wall time, then prints "RESULT done sleeper"
 * and exits 0. Harmless. */
#include "probe.h"

int
main(int argc, char **argv)
{
	double sec;

	probe_init();
	if (argc != 2 || (sec = atof(argv[1])) < 0) {
		fprintf(stderr, "usage: %s SEC\n", argv[0]);
		return PROBE_EXIT_USAGE;
	}
	probe_sleep_ms(sec * 1e3);
	printf("RESULT done sleeper sec=%g\n", sec);
	return 0;
}
