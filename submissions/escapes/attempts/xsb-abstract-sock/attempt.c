/* SPDX-License-Identifier: MIT */
/* xsb-abstract-sock: an abstract unix socket "@gradebox-xsb" as a channel between
 * submissions: connects to it (another sandbox listening: an escape), else binds it and
 * listens for 1 s. Expected: run.policy has no socket: SV (and abstract sockets are per
 * network namespace). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *name = "gradebox-xsb";
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	memcpy(sa.sun_path + 1, name, strlen(name));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		puts("BLOCKED");
		return 0;
	}
	if (connect(fd, (struct sockaddr *)&sa, len) == 0) {
		puts("ESCAPED connected to another sandbox's @gradebox-xsb");
		return 0;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, len) == 0)
		(void)listen(fd, 1), sleep(1);
	puts("BLOCKED");
	return 0;
}
