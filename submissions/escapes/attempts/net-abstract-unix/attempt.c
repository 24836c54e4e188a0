/* SPDX-License-Identifier: MIT */
/* net-abstract-unix: connects to abstract unix sockets that live in the host's network
 * namespace: X11 ("@/tmp/.X11-unix/X0"), systemd's private bus, containerd's shim
 * ("@/containerd-shim/..."-style names are abstract too). Abstract sockets are scoped by the
 * network namespace, not the filesystem. Any connect is an escape. Expected: no socket in
 * run.policy: SV (and a fresh network namespace has no abstract sockets). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(void)
{
	static const char *const names[] = {"/tmp/.X11-unix/X0", "/org/freedesktop/systemd1/notify",
					    "/run/systemd/private", "gradebox-xsb", NULL};
	for (int i = 0; names[i]; i++) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		size_t len = strlen(names[i]);
		memcpy(sa.sun_path + 1, names[i], len); /* sun_path[0] = 0: abstract */
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&sa,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == 0) {
			printf("ESCAPED connected to @%s\n", names[i]);
			return 0;
		}
		close(fd);
	}
	puts("BLOCKED");
	return 0;
}
