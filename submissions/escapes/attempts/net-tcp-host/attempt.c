/* SPDX-License-Identifier: MIT */
/* net-tcp-host: TCP connects to services of the host: the grader's API (127.0.0.1:8470),
 * ssh (127.0.0.1:22), and the VM's gateway (10.0.2.2:22), 1 s each. Connected is an escape.
 * Expected: run.policy has no socket: SV (and the sandbox's network namespace holds only its
 * own loopback: ECONNREFUSED / ENETUNREACH). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int
connected(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int err = 0;
	socklen_t len = sizeof(err);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (errno != EINPROGRESS || poll(&p, 1, 1000) <= 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			close(fd);
			return 0;
		}
	}
	close(fd);
	return 1;
}

int
main(void)
{
	static const struct {
		const char *addr;
		int port;
	} t[] = {{"127.0.0.1", 8470}, {"127.0.0.1", 22}, {"10.0.2.2", 22}};
	for (unsigned i = 0; i < sizeof(t) / sizeof(*t); i++)
		if (connected(t[i].addr, t[i].port)) {
			printf("ESCAPED connected to %s:%d\n", t[i].addr, t[i].port);
			return 0;
		}
	puts("BLOCKED");
	return 0;
}
