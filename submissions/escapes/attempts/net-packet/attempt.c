/* SPDX-License-Identifier: MIT */
/* net-packet: opens a raw AF_PACKET socket (sniff and forge frames on every interface) and a
 * raw IP socket. Expected: no socket in run.policy: SV (and no CAP_NET_RAW: EPERM). */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

int
main(void)
{
	if (socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)) >= 0) {
		puts("ESCAPED AF_PACKET raw socket");
		return 0;
	}
	if (socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP) >= 0) {
		puts("ESCAPED raw ICMP socket");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
