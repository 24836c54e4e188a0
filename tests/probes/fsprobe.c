/* SPDX-License-Identifier: MIT */
/* fsprobe: filesystem view of the sandbox.
 *   fsprobe               the battery: write /usr, /etc, /box, /tmp; read the host's secrets
 *                         directly and through /proc/1/root; list /root, /sys, /dev; write
 *                         /proc/sys/kernel/hostname. Exit 3 if anything escaped. Uses only
 *                         syscalls of policies/run.policy.
 *   fsprobe mknod         mknod /tmp/gbprobe-null as /dev/null's twin (separate: mknod is
 *                         outside run.policy, so under it this one is a seccomp kill)
 *   fsprobe write PATH [TEXT]   create/truncate PATH with TEXT ("gradebox-probe")
 *   fsprobe read PATH           print the first line of PATH
 *   fsprobe stat PATH           does PATH exist (lstat)
 *   fsprobe ls PATH             list a directory
 * Single operations print "RESULT allowed OP:PATH ..." on success and "RESULT blocked OP:PATH
 * errno=E..." on failure and exit 0: whether success is an escape is the test's call. The
 * battery and `write` refuse to run as host root. */
#include "probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define MARK "gradebox-probe"

/* Returns 0 or an errno. */
static int
write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err;

	if (fd < 0)
		return errno;
	if (write(fd, text, len) != (ssize_t)len) {
		err = errno ? errno : EIO;
		close(fd);
		return err;
	}
	if (close(fd) < 0)
		return errno;
	return 0;
}

/* Reads the first line of @path into @buf. Returns 0 or an errno. */
static int
read_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		int err = errno;
		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Counts entries other than . and ..; prints up to a few names into @names. Returns the
 * count, or -errno. */
static int
list_dir(const char *path, char *names, size_t size)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;
	size_t used = 0;

	if (names && size)
		names[0] = '\0';
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (names && used + strlen(e->d_name) + 2 < size) {
			used += (size_t)snprintf(names + used, size - used, "%s%s", n ? "," : "",
						 e->d_name);
		}
		n++;
	}
	closedir(d);
	return n;
}

static int
op_single(const char *op, const char *path, const char *text)
{
	char what[512], buf[1024];
	struct stat st;
	int r;

	snprintf(what, sizeof(what), "%s:%s", op, path);
	if (!strcmp(op, "write")) {
		probe_refuse_root("fsprobe write");
		r = write_file(path, text);
		if (r)
			probe_blocked(what, r);
		else
			probe_report("allowed", what, "bytes=%zu", strlen(text));
	} else if (!strcmp(op, "read")) {
		r = read_line(path, buf, sizeof(buf));
		if (r)
			probe_blocked(what, r);
		else
			probe_report("allowed", what, "line=%s", buf);
	} else if (!strcmp(op, "stat")) {
		if (lstat(path, &st) < 0)
			probe_blocked(what, errno);
		else
			probe_report("allowed", what, "mode=%o uid=%d size=%lld", st.st_mode,
				     (int)st.st_uid, (long long)st.st_size);
	} else if (!strcmp(op, "ls")) {
		r = list_dir(path, buf, sizeof(buf));
		if (r < 0)
			probe_blocked(what, -r);
		else
			probe_report("allowed", what, "entries=%d names=%s", r, buf);
	} else {
		fprintf(stderr, "fsprobe: unknown operation '%s'\n", op);
		return PROBE_EXIT_USAGE;
	}
	return 0;
}

/* A write that must fail (the host's or the image's read-only parts). */
static void
expect_write_blocked(const char *path)
{
	char what[512];
	int r;

	snprintf(what, sizeof(what), "write:%s", path);
	probe_try(what);
	r = write_file(path, MARK "\n");
	if (r) {
		probe_blocked(what, r);
		return;
	}
	(void)unlink(path);
	probe_escaped(what, "created");
}

/* A write that should work (the per-run writable layer). */
static void
expect_write_allowed(const char *path)
{
	char what[512];
	int r;

	snprintf(what, sizeof(what), "write:%s", path);
	probe_try(what);
	r = write_file(path, MARK "\n");
	if (r)
		probe_blocked(what, r);
	else
		probe_report("allowed", what, "created");
}

static void
expect_read_blocked(const char *path)
{
	char what[512], buf[256];
	int r;

	snprintf(what, sizeof(what), "read:%s", path);
	probe_try(what);
	r = read_line(path, buf, sizeof(buf));
	if (r)
		probe_blocked(what, r);
	else
		probe_escaped(what, "first-line-bytes=%zu", strlen(buf));
}

/* Listing a directory that must be absent or empty. */
static void
expect_ls_empty(const char *path)
{
	char what[512], names[512];
	int r;

	snprintf(what, sizeof(what), "ls:%s", path);
	probe_try(what);
	r = list_dir(path, names, sizeof(names));
	if (r < 0)
		probe_blocked(what, -r);
	else if (r == 0)
		probe_report("blocked", what, "entries=0");
	else
		probe_escaped(what, "entries=%d names=%s", r, names);
}

static void
info_ls(const char *path)
{
	char what[512], names[1024];
	int r;

	snprintf(what, sizeof(what), "ls:%s", path);
	r = list_dir(path, names, sizeof(names));
	if (r < 0)
		probe_report("info", what, "errno=%s", probe_errname(-r));
	else
		probe_report("info", what, "entries=%d names=%s", r, names);
}

static void
try_hostname_write(void)
{
	const char *what = "write:/proc/sys/kernel/hostname";
	char cur[256];
	int r;

	probe_try(what);
	/* Writes back the current value: even a success changes nothing. */
	if (read_line("/proc/sys/kernel/hostname", cur, sizeof(cur)) != 0)
		strcpy(cur, "gradebox-probe");
	strcat(cur, "\n");
	r = write_file("/proc/sys/kernel/hostname", cur);
	if (r)
		probe_blocked(what, r);
	else
		probe_escaped(what, "written");
}

static void
try_mknod(void)
{
	const char *what = "mknod:/tmp/gbprobe-null(c1:3)";
	const char *path = "/tmp/gbprobe-null";

	probe_try(what);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) < 0) {
		probe_blocked(what, errno);
		return;
	}
	(void)unlink(path);
	probe_escaped(what, "created");
}

static int
battery(void)
{
	char buf[512];
	ssize_t n;

	probe_refuse_root("fsprobe");

	expect_write_blocked("/usr/bin/gbprobe-x");
	expect_write_allowed("/etc/gbprobe-x");
	expect_write_allowed("/box/gbprobe-x");
	expect_write_allowed("/tmp/gbprobe-x");

	expect_read_blocked("/etc/shadow");
	expect_ls_empty("/root");
	expect_read_blocked("/proc/1/environ"); /* the init's: the supervisor's environment */
	expect_read_blocked("/proc/1/root/etc/shadow");
	expect_ls_empty("/proc/1/root/root");
	expect_read_blocked("/proc/1/root/../../../etc/shadow");
	n = readlink("/proc/1/root", buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = '\0';
		probe_report("info", "readlink:/proc/1/root", "target=%s", buf);
	} else {
		probe_report("info", "readlink:/proc/1/root", "errno=%s", probe_errname(errno));
	}

	expect_ls_empty("/sys/fs/cgroup");
	info_ls("/sys");
	info_ls("/dev");
	try_hostname_write();
	return probe_exit_code();
}

int
main(int argc, char **argv)
{
	probe_init();
	if (argc == 1)
		return battery();
	if (argc == 2 && !strcmp(argv[1], "mknod")) {
		probe_refuse_root("fsprobe mknod");
		try_mknod();
		return probe_exit_code();
	}
	if (argc == 3 || (argc == 4 && !strcmp(argv[1], "write")))
		return op_single(argv[1], argv[2], argc == 4 ? argv[3] : MARK "\n");
	fprintf(stderr, "usage: %s [mknod | write PATH [TEXT] | read PATH | stat PATH | ls PATH]\n",
		argv[0]);
	return PROBE_EXIT_USAGE;
}
