/* HOSTILE (snooping, allowed calls only): before summing, tries to read host secrets and
 * other processes' data: /etc/shadow (the image has none: ENOENT), the init's root, environment
 * and memory through /proc/1 (init is not dumpable: EACCES), the grader's database and token,
 * root's SSH key. open/read are allowed by the policy, so this is no SV: the filesystem view
 * must be what stops it. Anything it manages to read is reported on stdout as "LEAKED <path>"
 * (the content itself is never printed), which makes the answer wrong: AC means nothing
 * leaked. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static const char *const secrets[] = {
	"/etc/shadow",
	"/etc/gshadow",
	"/etc/sudoers",
	"/etc/ssh/ssh_host_ed25519_key",
	"/etc/ssh/ssh_host_rsa_key",
	"/root/.ssh/id_rsa",
	"/root/.ssh/id_ed25519",
	"/root/.bash_history",
	"/proc/1/root/etc/shadow",
	"/proc/1/root/root/.ssh/id_rsa",
	"/proc/1/environ",
	"/proc/1/mem",
	"/proc/1/cwd/../etc/shadow",
	"/proc/self/root/../../../etc/shadow",
	"/box/../../etc/shadow",
	"/var/lib/gradebox/gradebox.db",
	"/var/lib/gradebox/token",
	"/run/gradebox/slots/0.lock",
	"/sys/firmware/dmi/tables/DMI",
	"/proc/kcore",
	NULL,
};

static void snoop(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return;
	if (read(fd, buf, sizeof(buf)) > 0)
		printf("LEAKED %s\n", path);
	close(fd);
}

int main(void)
{
	long long n, x, sum = 0;

	for (size_t i = 0; secrets[i]; i++)
		snoop(secrets[i]);
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
