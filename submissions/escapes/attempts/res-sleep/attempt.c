/* SPDX-License-Identifier: MIT */
/* res-sleep: sleeps for an hour, using no CPU, to hold a sandbox slot forever. Expected: the
 * wall clock limit (5 s) kills it: TLE. */
#include <time.h>

int
main(void)
{
	struct timespec ts = {.tv_sec = 3600};
	nanosleep(&ts, NULL);
	return 0;
}
