/* SPDX-License-Identifier: MIT */
/* forkbomb [MAX [TAG]]: forks children (each sleeping 3 s) until fork fails or MAX (default
 * 4096) exist, holds them for 1 s, then exits without waiting for them, so the sandbox must
 * clean them up. TAG is only there to make the command line, which the children share, easy
 * to find from the host (pgrep -f TAG). Prints
 *   RESULT blocked forkbomb children=N errno=EAGAIN     fork failed at N children
 *   RESULT escaped forkbomb children=MAX                no limit was hit (exit 3)
 * Bounded: at most MAX children living at most 3 s each, and a 10 s deadline for forking.
 * Uses only syscalls of policies/run.policy. Refuses to run as host root. */
#include "probe.h"

#include <sys/wait.h>

int
main(int argc, char **argv)
{
	long max = argc > 1 ? atol(argv[1]) : 4096;
	double deadline;
	long n = 0;
	int err = 0;

	probe_init();
	if (max <= 0) {
		fprintf(stderr, "usage: %s [MAX [TAG]]\n", argv[0]);
		return PROBE_EXIT_USAGE;
	}
	probe_refuse_root("forkbomb");
	probe_try("forkbomb");
	deadline = probe_clock_ms(CLOCK_MONOTONIC) + 10000;
	while (n < max && probe_clock_ms(CLOCK_MONOTONIC) < deadline) {
		pid_t pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			probe_sleep_ms(3000);
			_exit(0);
		}
		n++;
	}
	if (err)
		printf("RESULT blocked forkbomb children=%ld errno=%s\n", n, probe_errname(err));
	else
		probe_escaped("forkbomb", "children=%ld", n);
	probe_sleep_ms(1000);
	/* Reap what already exited, leave the rest running on purpose. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return probe_exit_code();
}
