/* SPDX-License-Identifier: MIT */
/* res-threads: creates threads until pthread_create fails (threads are tasks: the pids
 * limit counts them). More than 64 is an escape from the limit. Expected: EAGAIN at the cgroup
 * pids limit: BLOCKED. Threads are clone without CLONE_NEW* flags, which run.policy allows. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void *
idle(void *arg)
{
	struct timespec ts = {.tv_sec = 30};
	(void)arg;
	/* nanosleep, not pause(): run.policy has no pause (reported); this attempt is about
	 * the pids limit. */
	nanosleep(&ts, NULL);
	return NULL;
}

int
main(void)
{
	pthread_attr_t a;
	pthread_t t;
	int n = 0, r = 0;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	while (n < 4096 && (r = pthread_create(&t, &a, idle, NULL)) == 0)
		n++;
	if (n > 64) {
		printf("ESCAPED created %d threads\n", n);
		fflush(stdout);
		_exit(0);
	}
	fprintf(stderr, "created %d threads, then error %d\n", n, r);
	puts("BLOCKED");
	fflush(stdout);
	_exit(0); /* exit_group ends the paused threads */
}
