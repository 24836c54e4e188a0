/* HOSTILE (seccomp, network): opens a netlink socket (to list and reconfigure interfaces),
 * then a TCP connection to a host port (10.0.2.2:22, the usual QEMU/VirtualBox host, and
 * 127.0.0.1:5432). socket is in no policy: SV at the first call. */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static void try_connect(const char *ip, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return;
	(void)inet_pton(AF_INET, ip, &sa.sin_addr);
	(void)connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
}

int main(void)
{
	long long n, x, sum = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);

	if (fd >= 0)
		close(fd);
	try_connect("10.0.2.2", 22);
	try_connect("127.0.0.1", 5432);
	if (scanf("%lld", &n) != 1)
		return 1;
	for (long long i = 0; i < n; i++) {
		if (scanf("%lld", &x) != 1)
			return 1;
		sum += x;
	}
	printf("%lld\n", sum);
	return 0;
}
