/* SPDX-License-Identifier: MIT */
/* Safe I/O and small parsers used across sandbox/ and grader/. */
#include "util.h"

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

int
util_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
	/* sendmsg() does not write through iov_base; the iovec type just is not const. */
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(UTIL_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u = {0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (n_fds > UTIL_MAX_FDS)
		return -EINVAL;
	if (n_fds > 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

ssize_t
util_recv_fds(int sock, void *buf, size_t size, int fds[UTIL_MAX_FDS], size_t *ret_nfds, int flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	union {
		char buf[CMSG_SPACE(UTIL_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	size_t n = 0;

	for (size_t i = 0; i < UTIL_MAX_FDS; i++)
		fds[i] = -1;
	*ret_nfds = 0;
	ssize_t k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
	if (k < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t m = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < m; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (n < UTIL_MAX_FDS)
					fds[n++] = fd;
				else
					close(fd);
			}
		}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (size_t i = 0; i < n; i++) {
			close(fds[i]);
			fds[i] = -1;
		}
		return -EBADMSG;
	}
	*ret_nfds = n;
	return k;
}

int
util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

int
util_writev_all(int fd, struct iovec *iov, size_t n)
{
	while (n > 0) {
		ssize_t k = writev(fd, iov, (int)(n < IOV_MAX ? n : IOV_MAX));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Skip what was written: whole pieces, then part of the next one. */
		for (; n > 0 && (size_t)k >= iov->iov_len; iov++, n--)
			k -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

int
util_self_dir(char *buf, size_t size)
{
	if (size < 2)
		return -ENAMETOOLONG;
	ssize_t n = readlink("/proc/self/exe", buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = 0;
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = 0;
	return 0;
}

ssize_t
util_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int
util_write_file_at(int dirfd, const char *path, const char *s)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* Kernel knobs take the value in one write(); a short write is an error. */
	ssize_t n = write(fd, s, strlen(s));
	if (n < 0)
		return -errno;
	if ((size_t)n != strlen(s))
		return -EIO;
	return 0;
}

int
util_write_file(const char *path, const char *s)
{
	return util_write_file_at(AT_FDCWD, path, s);
}

ssize_t
util_read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (size == 0)
		return -EINVAL;
	ssize_t n = util_read_full(fd, buf, size - 1);
	if (n < 0)
		return n;
	buf[n] = 0;
	return n;
}

int
util_parse_u64(const char *s, uint64_t *ret)
{
	char *end = NULL;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
util_parse_size(const char *s, uint64_t *ret)
{
	char *end = NULL;
	uint64_t mult = 1;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		/* Accept "64M", "64MB", "64MiB" alike. */
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

int
util_parse_seconds_ms(const char *s, uint64_t *ret_ms)
{
	char *end = NULL;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		return -EINVAL;
	if (v > 1e7)
		return -ERANGE;
	*ret_ms = (uint64_t)llround(v * 1000.0);
	return 0;
}

uint64_t
util_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
util_mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st _unused_, int type, struct FTW *ftw _unused_)
{
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int
util_rm_rf(const char *path)
{
	/* FTW_PHYS: never follow symlinks; FTW_MOUNT: never cross into another filesystem, so a
	 * bind mount left by a crash cannot make us delete the host's files. */
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}
