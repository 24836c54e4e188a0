/* SPDX-License-Identifier: MIT */
/* xsb-sysv-shm: a SysV shared memory segment with a fixed key (0x67627821) as a channel
 * between submissions: first looks for one another sandbox left (an escape), then creates
 * it, writes its pid, waits 1 s and removes it. Expected: run.policy has no shmget: SV (and
 * each sandbox has its own IPC namespace behind that). */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define KEY 0x67627821

int
main(void)
{
	int id = shmget(KEY, 0, 0);
	if (id >= 0) {
		puts("ESCAPED found another sandbox's SysV segment");
		return 0;
	}
	id = shmget(KEY, 4096, IPC_CREAT | 0666);
	if (id >= 0) {
		char *p = shmat(id, NULL, 0);
		if (p != (void *)-1)
			snprintf(p, 4096, "%d", (int)getpid());
		struct timespec ts = {.tv_sec = 1};
		nanosleep(&ts, NULL);
		shmctl(id, IPC_RMID, NULL);
	}
	puts("BLOCKED");
	return 0;
}
