/* SPDX-License-Identifier: MIT */
/* netprobe PORT [ADDR...]: tries a TCP connect to 127.0.0.1:PORT (and to each ADDR:PORT) with a
 * 2 s timeout, and sends one UDP datagram "gradebox-probe-udp" to each. Prints
 *   RESULT escaped tcp:ADDR:PORT connected      (exit 3)
 *   RESULT blocked tcp:ADDR:PORT errno=ECONNREFUSED
 *   RESULT info    udp:ADDR:PORT sent=N | errno=E...
 * A UDP send "succeeding" says nothing (loopback accepts it either way); the test checks
 * whether its listener received the datagram. Harmless: safe to run on the host as the
 * control that proves the listener is up. */
#include "probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

static void
try_tcp(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct pollfd pfd;
	char what[128];
	int fd, err = 0;
	socklen_t len = sizeof(err);

	snprintf(what, sizeof(what), "tcp:%s:%d", addr, port);
	probe_try(what);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		probe_report("info", what, "bad-address");
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		probe_blocked(what, errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			probe_blocked(what, errno);
			close(fd);
			return;
		}
		pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
		if (poll(&pfd, 1, 2000) <= 0) {
			probe_blocked(what, ETIMEDOUT);
			close(fd);
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			probe_blocked(what, err);
			close(fd);
			return;
		}
	}
	probe_escaped(what, "connected");
	close(fd);
}

static void
try_udp(const char *addr, int port)
{
	static const char msg[] = "gradebox-probe-udp\n";
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	char what[128];
	ssize_t n;
	int fd;

	snprintf(what, sizeof(what), "udp:%s:%d", addr, port);
	probe_try(what);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		probe_report("info", what, "bad-address");
		return;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		probe_report("info", what, "errno=%s", probe_errname(errno));
		return;
	}
	n = sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (n < 0)
		probe_report("info", what, "errno=%s", probe_errname(errno));
	else
		probe_report("info", what, "sent=%zd", n);
	close(fd);
}

int
main(int argc, char **argv)
{
	int port;

	probe_init();
	if (argc < 2 || (port = atoi(argv[1])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: %s PORT [ADDR...]\n", argv[0]);
		return PROBE_EXIT_USAGE;
	}
	try_tcp("127.0.0.1", port);
	try_udp("127.0.0.1", port);
	for (int i = 2; i < argc; i++) {
		try_tcp(argv[i], port);
		try_udp(argv[i], port);
	}
	return probe_exit_code();
}
