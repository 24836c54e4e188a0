/* SPDX-License-Identifier: MIT */
/* The client side of the warm pool (see pool.h and the protocol in grader/cmd_pool.c). Plain
 * libc and the sandbox's request format: the front door (grader/front.c) is built against
 * musl and links this file too. */
#include "pool.h"
#include "pool_wire.h"

#include "util.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int
pool_shape_text(const struct run_config *c, char *buf, size_t size)
{
	size_t off = 0;
	int n = snprintf(buf, size, "disk=%llu\n", (unsigned long long)c->disk_bytes);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	off = (size_t)n;
	for (size_t i = 0; i < c->n_binds; i++) {
		n = snprintf(buf + off, size - off, "bind=%s:%s\n", c->binds[i].src,
			     c->binds[i].dst);
		if (n < 0 || (size_t)n >= size - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return (int)off;
}

const char *
pool_socket_path(const char *p)
{
	const char *e = getenv("GRADEBOX_POOL_SOCKET");
	return p ? p : e && *e ? e : POOL_SOCKET;
}

int
pool_sockaddr(const char *path, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int
pool_connect(const char *socket_path, int *ret_fd)
{
	struct sockaddr_un sa;
	int r = pool_sockaddr(pool_socket_path(socket_path), &sa);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int
pool_run_on(int fd, const struct run_config *c, int result_fd, struct run_result *ret,
	    int *ret_result_err)
{
	int r;

	if (!c->bpf)
		return -EINVAL;
	_cleanup_close_ int req = -1;
	r = run_request_pack(c, c->bpf, &req);
	if (r < 0)
		return r;
	/* Static, not on the heap: one request per process at a time, and (in the front door)
	 * no allocator mmap/munmap pair per run. */
	static char msg[sizeof(struct pool_hello) + SHAPE_MAX];
	static struct pool_reply reply;
	struct pool_reply *rep = &reply;
	int shape_len = pool_shape_text(c, msg + sizeof(struct pool_hello), SHAPE_MAX);
	if (shape_len < 0)
		return -EXDEV; /* too many binds to describe: not for the pool */
	struct pool_hello h = {.magic = POOL_MAGIC,
			       .version = POOL_VERSION,
			       .result_size = sizeof(struct run_result),
			       .shape_len = (uint32_t)shape_len,
			       .cpu = sched_getcpu()};
	int fds[5], n = 0;
	fds[n++] = req;
	if (c->stdin_fd >= 0)
		h.flags |= HAS_STDIN, fds[n++] = c->stdin_fd;
	if (c->stdout_fd >= 0)
		h.flags |= HAS_STDOUT, fds[n++] = c->stdout_fd;
	if (c->stderr_fd >= 0)
		h.flags |= HAS_STDERR, fds[n++] = c->stderr_fd;
	if (result_fd >= 0)
		h.flags |= HAS_RESULT, fds[n++] = result_fd;
	memcpy(msg, &h, sizeof(h));
	r = util_send_fds(fd, msg, sizeof(h) + (size_t)shape_len, fds, (size_t)n);
	if (r < 0)
		return r;

	ssize_t k;
	do
		k = recv(fd, rep, sizeof(*rep), 0);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	/* A pool of another version reads only our header, refuses, and answers in its own
	 * layout, whose magic and version (the first 8 bytes) every version shares. Nothing ran:
	 * the caller may run it cold. (Before a restart of the pool after an upgrade, say.) */
	if (k >= 8 && rep->magic == POOL_MAGIC && rep->version != POOL_VERSION) {
		*ret = (struct run_result){.status = RUN_XX};
		snprintf(ret->message, sizeof(ret->message),
			 "the pool speaks protocol %u, this gradebox %u", rep->version,
			 POOL_VERSION);
		return 1;
	}
	if ((size_t)k != sizeof(*rep) || rep->magic != POOL_MAGIC || rep->version != POOL_VERSION ||
	    rep->result_size != sizeof(struct run_result))
		return k == 0 ? -ECONNRESET : -EPROTO;
	*ret = rep->result;
	if (ret_result_err)
		*ret_result_err = rep->result_err;
	if (rep->err == -EXDEV)
		return -EXDEV;
	return rep->err < 0 ? 1 : 0;
}

int
pool_run(const char *socket_path, const struct run_config *c, struct run_result *ret)
{
	_cleanup_close_ int fd = -1;
	int r = pool_connect(socket_path, &fd);
	if (r < 0)
		return r;
	return pool_run_on(fd, c, -1, ret, NULL);
}
