/* SPDX-License-Identifier: MIT */
/* Bottom layer shared by every module: cleanup attributes with explicit ownership hand-off,
 * safe I/O that retries on EINTR, and small parsers for sizes and durations. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))

static inline void
freep(void *p)
{
	free(*(void **)p);
}

static inline void
closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}

static inline void
fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

#define _cleanup_free_	 _cleanup_(freep)
#define _cleanup_close_	 _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand ownership of a pointer or fd to someone else: the local cleanup then sees NULL / -1. */
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _p = (p); \
		(p) = NULL;             \
		_p;                     \
	})
#define TAKE_FD(fd)             \
	({                      \
		int _fd = (fd); \
		(fd) = -1;      \
		_fd;            \
	})

/* Writes all of @buf to @fd, retrying on EINTR and short writes. Returns 0 or -errno. */
int util_write_all(int fd, const void *buf, size_t len);

/* util_write_all() for @n pieces gathered by writev(2); the iovecs are consumed (a short write
 * advances them). Returns 0 or -errno. */
struct iovec;
int util_writev_all(int fd, struct iovec *iov, size_t n);

/* Reads up to @len bytes, retrying on EINTR, stopping at EOF. Returns bytes read or -errno. */
ssize_t util_read_full(int fd, void *buf, size_t len);

/* The directory of the running binary (/proc/self/exe without its last component), into @buf.
 * Returns 0 or -errno (-ENAMETOOLONG when it does not fit). */
int util_self_dir(char *buf, size_t size);

/* One message on a SOCK_SEQPACKET (or datagram) socket with up to UTIL_MAX_FDS fds riding
 * along (SCM_RIGHTS). Returns 0 or -errno. */
#define UTIL_MAX_FDS 5 /* the pool's request: the run, stdin, stdout, stderr, the result file */
int util_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);

/* Receives one message of at most @size bytes and up to UTIL_MAX_FDS fds (close-on-exec) into
 * @fds, the rest set to -1; *ret_nfds says how many came. @flags: MSG_DONTWAIT or 0. Returns
 * the message's length (0 at EOF), -EBADMSG when it or its fds were cut (the fds that did
 * arrive are closed), or -errno (-EAGAIN when nothing is there). */
ssize_t util_recv_fds(int sock, void *buf, size_t size, int fds[UTIL_MAX_FDS], size_t *ret_nfds,
		      int flags);

/* Writes the string @s to the file @path (relative to @dirfd, AT_FDCWD for absolute).
 * Returns 0 or -errno. Used for cgroup, /proc and sysctl knobs. */
int util_write_file_at(int dirfd, const char *path, const char *s);
int util_write_file(const char *path, const char *s);

/* Reads at most @size-1 bytes of @path into @buf, NUL-terminated. Returns length or -errno. */
ssize_t util_read_file_at(int dirfd, const char *path, char *buf, size_t size);

/* Parses "64M", "1g", "4096", "512k" (binary units) into bytes. Returns 0 or -EINVAL/-ERANGE. */
int util_parse_size(const char *s, uint64_t *ret);

/* Parses "1.5", "0.3", "2" seconds into milliseconds. Returns 0 or -EINVAL/-ERANGE. */
int util_parse_seconds_ms(const char *s, uint64_t *ret_ms);

/* Parses a decimal unsigned integer with no trailing garbage. Returns 0 or -EINVAL/-ERANGE. */
int util_parse_u64(const char *s, uint64_t *ret);

/* Monotonic clock in nanoseconds. */
uint64_t util_now_ns(void);

/* mkdir -p with @mode for missing components. Returns 0 or -errno. */
int util_mkdir_p(const char *path, unsigned mode);

/* Removes a directory tree without following symlinks or crossing mounts. Returns 0 or -errno. */
int util_rm_rf(const char *path);

#include <dirent.h>
static inline void
closedirp_(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}
