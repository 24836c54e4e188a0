/* SPDX-License-Identifier: MIT */
/* selfinfo [HOLD_MS]: prints who and where this process is, one "key=value" per line: pids,
 * credentials, capability sets, no_new_privs and seccomp mode, the uid/gid maps, hostname,
 * the visible processes and network devices, and pid 1's command line. With HOLD_MS it
 * sleeps that long before exiting (to overlap two sandboxes), printing wall-clock start and
 * end times. Harmless: safe to run anywhere. Uses only syscalls of policies/run.policy (the
 * supplementary groups come from /proc/self/status: getgroups is not in it). */
#include "probe.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/types.h>

static void
print_status_fields(void)
{
	static const char *const keys[] = {"Groups", "CapInh", "CapPrm",     "CapEff",
					   "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"};
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f) {
		printf("status_error=%s\n", probe_errname(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);
			if (strncmp(line, keys[i], n) == 0 && line[n] == ':') {
				char *v = line + n + 1;
				while (*v == ' ' || *v == '\t')
					v++;
				v[strcspn(v, "\n")] = '\0';
				if (i == 0) { /* "Groups:\t0 27 \n" -> "groups=0,27" */
					char *q;
					while ((q = strrchr(v, ' ')) && q[1] == '\0')
						*q = '\0';
					for (q = v; *q; q++)
						if (*q == ' ')
							*q = ',';
					printf("groups=%s\n", v);
					continue;
				}
				printf("%s=%s\n", keys[i], v);
			}
		}
	}
	fclose(f);
}

/* Prints each line of /proc/self/{uid,gid}_map as "uid_map=INSIDE OUTSIDE COUNT". */
static void
print_map(const char *name)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	f = fopen(path, "re");
	if (!f) {
		printf("%s_error=%s\n", name, probe_errname(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b, c;
		if (sscanf(line, "%lu %lu %lu", &a, &b, &c) == 3)
			printf("%s=%lu %lu %lu\n", name, a, b, c);
	}
	fclose(f);
}

static void
print_file_line(const char *key, const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("%s_error=%s\n", key, probe_errname(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		printf("%s_error=%s\n", key, probe_errname(errno));
		return;
	}
	/* cmdline is NUL-separated; print it space-separated, without the trailing one. */
	while (n > 0 && (buf[n - 1] == '\0' || buf[n - 1] == '\n'))
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0' || buf[i] == '\n')
			buf[i] = ' ';
	buf[n] = '\0';
	printf("%s=%s\n", key, buf);
}

static void
print_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d) {
		printf("nprocs_error=%s\n", probe_errname(errno));
		return;
	}
	printf("procs=");
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		printf("%s%s", n ? "," : "", e->d_name);
		n++;
	}
	printf("\nnprocs=%d\n", n);
	closedir(d);
}

/* Network devices of our netns, from /proc/net/dev (no netlink socket needed). */
static void
print_netdevs(void)
{
	char line[512];
	FILE *f = fopen("/proc/net/dev", "re");
	int n = 0;

	if (!f) {
		printf("netdevs_error=%s\n", probe_errname(errno));
		return;
	}
	printf("netdevs=");
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *name = line;
		if (!colon)
			continue; /* the two header lines */
		*colon = '\0';
		while (*name == ' ')
			name++;
		printf("%s%s", n ? "," : "", name);
		n++;
	}
	putchar('\n');
	fclose(f);
}

/* nice=N: the 19th field of /proc/self/stat (getpriority() is not in the run policy). */
static void
print_nice(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	long nice;
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %ld",
		   &nice) != 1) {
		printf("nice_error=unparsable\n");
		return;
	}
	printf("nice=%ld\n", nice);
}

int
main(int argc, char **argv)
{
	char host[256];
	double hold = argc > 1 ? atof(argv[1]) : 0;

	probe_init();
	printf("t_start_ms=%.0f\n", probe_clock_ms(CLOCK_REALTIME));
	printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	printf("uid=%d\neuid=%d\ngid=%d\negid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
	       (int)getegid());
	print_status_fields();
	print_map("uid_map");
	print_map("gid_map");
	if (gethostname(host, sizeof(host)) == 0)
		printf("hostname=%s\n", host);
	else
		printf("hostname_error=%s\n", probe_errname(errno));
	print_file_line("init_cmdline", "/proc/1/cmdline");
	print_file_line("init_comm", "/proc/1/comm");
	print_file_line("cgroup", "/proc/self/cgroup");
	print_nice();
	print_procs();
	print_netdevs();
	if (hold > 0)
		probe_sleep_ms(hold);
	printf("t_end_ms=%.0f\n", probe_clock_ms(CLOCK_REALTIME));
	return 0;
}
