/* SPDX-License-Identifier: MIT */
/* Builds the host-derived base image: directories, merged-/usr symlinks and a minimal /etc.
 * Nothing of the host's /etc is copied but the dynamic loader's cache and the alternatives
 * symlinks (cc -> gcc), so no host secret (shadow, keys, configs) is ever visible inside. */
#include "image.h"

#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Bump when the layout changes: a new directory is built beside the old one. */
#define IMAGE_BASE_VERSION 1

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "box:x:1000:1000:sandbox user:/box:/bin/sh\n"
			     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\nbox:x:1000:\nnogroup:x:65534:\n";
static const char hosts[] = "127.0.0.1\tlocalhost gradebox\n::1\tlocalhost ip6-localhost\n";
static const char nsswitch[] = "passwd: files\ngroup: files\nhosts: files\n";

static int
write_new(int dirfd, const char *name, const char *content, mode_t mode)
{
	_cleanup_close_ int fd =
		openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, content, strlen(content));
}

static int
copy_file(const char *src, int dirfd, const char *name)
{
	char buf[65536];
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : -errno; /* optional on the host */
	_cleanup_close_ int out =
		openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = util_write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

/* /etc/alternatives holds only symlinks into /usr (cc -> /usr/bin/gcc): copy the links. */
static int
copy_alternatives(int etcfd)
{
	_cleanup_(closedirp_) DIR *d = NULL;
	if (mkdirat(etcfd, "alternatives", 0755) < 0)
		return -errno;
	d = opendir("/etc/alternatives");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char target[PATH_MAX];
		if (de->d_type != DT_LNK)
			continue;
		ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		char path[NAME_MAX + 32];
		snprintf(path, sizeof(path), "alternatives/%s", de->d_name);
		if (symlinkat(target, etcfd, path) < 0)
			return -errno;
	}
	return 0;
}

static int
build(const char *dir)
{
	static const char *const dirs[] = {"usr",  "etc", "box",     "tmp",  "proc", "dev",
					   "root", "var", "var/tmp", "home", "run"};
	static const char *const links[][2] = {{"bin", "usr/bin"},     {"sbin", "usr/sbin"},
					       {"lib", "usr/lib"},     {"lib64", "usr/lib64"},
					       {"lib32", "usr/lib32"}, {"libx32", "usr/libx32"}};
	int r;

	if (mkdir(dir, 0755) < 0)
		return -errno;
	_cleanup_close_ int fd = open(dir, O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (mkdirat(fd, dirs[i], 0755) < 0)
			return -errno;
	/* mkdirat() honours the umask; set the modes that matter explicitly. */
	if (fchmodat(fd, "tmp", 01777, 0) < 0 || fchmodat(fd, "var/tmp", 01777, 0) < 0 ||
	    fchmodat(fd, "root", 0700, 0) < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		char host[64];
		struct stat st;
		snprintf(host, sizeof(host), "/%s", links[i][1]);
		if (stat(host, &st) < 0)
			continue; /* lib32/libx32 exist only with multilib */
		if (symlinkat(links[i][1], fd, links[i][0]) < 0)
			return -errno;
	}
	_cleanup_close_ int etc = openat(fd, "etc", O_DIRECTORY | O_CLOEXEC);
	if (etc < 0)
		return -errno;
	if ((r = write_new(etc, "passwd", passwd, 0644)) < 0 ||
	    (r = write_new(etc, "group", group, 0644)) < 0 ||
	    (r = write_new(etc, "hosts", hosts, 0644)) < 0 ||
	    (r = write_new(etc, "hostname", "gradebox\n", 0644)) < 0 ||
	    (r = write_new(etc, "nsswitch.conf", nsswitch, 0644)) < 0 ||
	    (r = copy_file("/etc/ld.so.cache", etc, "ld.so.cache")) < 0 ||
	    (r = copy_alternatives(etc)) < 0)
		return r;
	return 0;
}

int
image_ensure_base(const char *state_dir, char *buf, size_t size)
{
	char tmp[PATH_MAX];
	struct stat st;
	int r;

	if ((size_t)snprintf(buf, size, "%s/base-v%d", state_dir, IMAGE_BASE_VERSION) >= size)
		return -ENAMETOOLONG;
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	r = util_mkdir_p(state_dir, 0755);
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s/.base-tmp-%d", state_dir, (int)getpid());
	(void)util_rm_rf(tmp);
	r = build(tmp);
	if (r < 0) {
		(void)util_rm_rf(tmp);
		return r;
	}
	/* Publish atomically; a concurrent builder may have won, which is fine. */
	if (rename(tmp, buf) < 0) {
		r = -errno;
		(void)util_rm_rf(tmp);
		if (r == -EEXIST || r == -ENOTEMPTY)
			return 0;
		return r;
	}
	return 0;
}
