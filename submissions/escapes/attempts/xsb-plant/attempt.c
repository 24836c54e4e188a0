/* SPDX-License-Identifier: MIT */
/* xsb-plant: the first half of a cross-sandbox channel: leaves markers that another
 * submission graded at the same time (xsb-find) looks for: /dev/shm/gbx-marker,
 * /tmp/gbx-xsb-pid (holding its pid) and /box/gbx-xsb, then stays alive for 3 s so the other
 * one can look while it runs. Planting in its own sandbox is allowed; the attack succeeds
 * only if xsb-find sees something. It tries, and fails, to plant outside too (/, /etc). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
plant(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return 0;
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	(void)write(fd, buf, (size_t)n);
	close(fd);
	return 1;
}

int
main(void)
{
	if (plant("/gbx-xsb") || plant("/etc/gbx-xsb")) {
		puts("ESCAPED planted a marker outside the writable places");
		return 0;
	}
	(void)plant("/dev/shm/gbx-marker");
	(void)plant("/tmp/gbx-xsb-pid");
	(void)plant("/box/gbx-xsb");
	struct timespec ts = {.tv_sec = 3};
	nanosleep(&ts, NULL);
	puts("BLOCKED");
	return 0;
}
