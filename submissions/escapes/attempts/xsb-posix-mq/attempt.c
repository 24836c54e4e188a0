/* SPDX-License-Identifier: MIT */
/* xsb-posix-mq: a POSIX message queue "/gbx-xsb" as a channel between submissions: opens an
 * existing one (an escape) or creates it. Expected: run.policy has no mq_open: SV (and a
 * separate IPC namespace behind that). */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>

int
main(void)
{
	mqd_t q = mq_open("/gbx-xsb", O_RDWR);
	if (q != (mqd_t)-1) {
		puts("ESCAPED found another sandbox's message queue");
		return 0;
	}
	q = mq_open("/gbx-xsb", O_RDWR | O_CREAT, 0666, NULL);
	if (q != (mqd_t)-1) {
		mq_close(q);
		mq_unlink("/gbx-xsb");
	}
	puts("BLOCKED");
	return 0;
}
