/* SPDX-License-Identifier: MIT */
/* net-netlink: opens an rtnetlink socket and dumps the links: the host's interfaces (or a
 * way to configure the sandbox's). More than the loopback is an escape. Expected: no socket
 * in run.policy: SV. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		puts("BLOCKED");
		return 0;
	}
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {.h = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1},
		 .i = {.ifi_family = AF_UNSPEC}};
	char buf[16384];
	int links = 0;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		puts("BLOCKED");
		return 0;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int done = 0;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				done = 1;
			else if (h->nlmsg_type == RTM_NEWLINK)
				links++;
		}
		if (done)
			break;
	}
	if (links > 1) {
		printf("ESCAPED netlink shows %d interfaces\n", links);
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
