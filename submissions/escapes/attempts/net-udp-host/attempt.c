/* SPDX-License-Identifier: MIT */
/* net-udp-host: sends UDP datagrams to the host's resolver (127.0.0.53:53), to 127.0.0.1:8470
 * and to the VM's DNS (10.0.2.3:53), and waits 1 s for any answer (a DNS query for
 * example.com, so a real resolver would reply). A reply is an escape. Expected: no socket in
 * run.policy: SV (and only the sandbox's own loopback exists). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
	static const unsigned char query[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
					      7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
					      3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
	static const struct {
		const char *addr;
		int port;
	} t[] = {{"127.0.0.53", 53}, {"127.0.0.1", 8470}, {"10.0.2.3", 53}};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		puts("BLOCKED");
		return 0;
	}
	for (unsigned i = 0; i < sizeof(t) / sizeof(*t); i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t[i].port)};
		inet_pton(AF_INET, t[i].addr, &sa.sin_addr);
		(void)sendto(fd, query, sizeof(query), 0, (struct sockaddr *)&sa, sizeof(sa));
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[512];
	if (poll(&p, 1, 1000) > 0 && recv(fd, buf, sizeof(buf), 0) > 0) {
		puts("ESCAPED a UDP reply came back");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
