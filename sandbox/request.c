/* SPDX-License-Identifier: MIT */
/* A run request on the wire: the program, its environment and working directory, the per-run
 * limits and the compiled seccomp filter, in one memfd. The supervisor hands it to a prepared
 * sandbox's init (run_box_exec), and `gradebox run` hands it to a warm pool worker. Both ends
 * are the same build, but the reader still trusts nothing: magic, version and every length
 * are checked against the file's size before use, and the strings must end where the file
 * ends. */
#include "run.h"

#include "bpf.h"
#include "util.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define REQ_MAGIC   0x71726267u /* "gbrq" */
#define REQ_VERSION 1u
#define REQ_MAX	    (8u << 20) /* execve itself takes at most a few MiB of strings */
#define BPF_MAX	    4096u      /* BPF_MAXINSNS */

struct wire {
	uint32_t magic, version;
	uint64_t memory_bytes, cpu_time_ms, wall_time_ms, pids, output_limit, file_size, disk_bytes,
		open_files;
	uint32_t argc;
	uint32_t envc; /* UINT32_MAX: the sandbox's minimal default environment */
	uint32_t has_cwd;
	uint32_t bpf_len; /* instructions, 8 bytes each */
	uint32_t strings_bytes;
	uint32_t reserved;
};

struct run_request {
	struct run_config c;
	struct policy_bpf bpf;
	char *strings; /* owned: argv, envp and cwd point into it */
	char **argv;   /* owned array */
	char **envp;   /* owned array, or NULL */
};

static size_t
strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Pieces of a request on their way into its memfd, written a batch of iovecs at a time. */
struct gather {
	int fd, err;
	size_t n;
	struct iovec iov[64];
};

static int
gather_flush(struct gather *g)
{
	if (g->err == 0 && g->n > 0)
		g->err = util_writev_all(g->fd, g->iov, g->n);
	g->n = 0;
	return g->err;
}

static void
gather_add(struct gather *g, const void *base, size_t len)
{
	g->iov[g->n++] = (struct iovec){.iov_base = (void *)(uintptr_t)base, .iov_len = len};
	if (g->n == ELEMENTSOF(g->iov))
		(void)gather_flush(g);
}

int
run_request_pack(const struct run_config *c, const struct policy_bpf *bpf, int *ret_fd)
{
	size_t argc = strv_len(c->argv), envc = strv_len(c->envp), strings = 0;

	if (argc == 0 || !bpf || bpf->len == 0 || bpf->len > BPF_MAX)
		return -EINVAL;
	for (size_t i = 0; i < argc; i++)
		strings += strlen(c->argv[i]) + 1;
	for (size_t i = 0; i < envc; i++)
		strings += strlen(c->envp[i]) + 1;
	if (c->cwd)
		strings += strlen(c->cwd) + 1;
	size_t size = sizeof(struct wire) + bpf->len * 8 + strings;
	if (size > REQ_MAX)
		return -E2BIG;

	struct wire w = {
		.magic = REQ_MAGIC,
		.version = REQ_VERSION,
		.memory_bytes = c->memory_bytes,
		.cpu_time_ms = c->cpu_time_ms,
		.wall_time_ms = c->wall_time_ms,
		.pids = c->pids,
		.output_limit = c->output_limit,
		.file_size = c->file_size,
		.disk_bytes = c->disk_bytes,
		.open_files = c->open_files,
		.argc = (uint32_t)argc,
		.envc = c->envp ? (uint32_t)envc : UINT32_MAX,
		.has_cwd = c->cwd != NULL,
		.bpf_len = (uint32_t)bpf->len,
		.strings_bytes = (uint32_t)strings,
	};

	/* Gathered straight from the config into the memfd, without an intermediate copy: each
	 * buffer the front door allocates costs system calls and page faults on every warm run. */
	_cleanup_close_ int fd = memfd_create("gradebox-request", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct gather g = {.fd = fd};
	gather_add(&g, &w, sizeof(w));
	gather_add(&g, bpf->insns, bpf->len * 8);
	for (size_t i = 0; i < argc; i++)
		gather_add(&g, c->argv[i], strlen(c->argv[i]) + 1);
	for (size_t i = 0; i < envc; i++)
		gather_add(&g, c->envp[i], strlen(c->envp[i]) + 1);
	if (c->cwd)
		gather_add(&g, c->cwd, strlen(c->cwd) + 1);
	int r = gather_flush(&g);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Splits @n NUL-terminated strings off *p (bounded by @end) into a new array. */
static char **
take_strings(char **p, const char *end, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		char *nul = memchr(*p, 0, (size_t)(end - *p));
		if (!nul) {
			free(v);
			return NULL;
		}
		v[i] = *p;
		*p = nul + 1;
	}
	return v;
}

int
run_request_unpack(int fd, struct run_request **ret)
{
	struct stat st;
	struct wire w;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < (off_t)sizeof(w) || st.st_size > (off_t)REQ_MAX)
		return -EBADMSG;
	size_t size = (size_t)st.st_size;
	_cleanup_free_ char *buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < size;) {
		ssize_t n = pread(fd, buf + off, size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		off += (size_t)n;
	}
	memcpy(&w, buf, sizeof(w));
	if (w.magic != REQ_MAGIC || w.version != REQ_VERSION)
		return -EPROTO;
	if (w.reserved != 0 || w.has_cwd > 1)
		return -EBADMSG;
	if (w.argc == 0 || w.argc > (1u << 20) || (w.envc != UINT32_MAX && w.envc > (1u << 20)) ||
	    w.bpf_len == 0 || w.bpf_len > BPF_MAX ||
	    sizeof(w) + (size_t)w.bpf_len * 8 + w.strings_bytes != size)
		return -EBADMSG;
	/* The strings must end exactly at the end of the file. */
	if (w.strings_bytes == 0 || buf[size - 1] != 0)
		return -EBADMSG;

	_cleanup_free_ struct run_request *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	int r = policy_bpf_from_bytes(buf + sizeof(w), (size_t)w.bpf_len * 8, &q->bpf);
	if (r < 0)
		return r;
	char *p = buf + sizeof(w) + (size_t)w.bpf_len * 8;
	const char *end = buf + size;
	q->argv = take_strings(&p, end, w.argc);
	if (w.envc != UINT32_MAX)
		q->envp = take_strings(&p, end, w.envc);
	const char *cwd = NULL;
	if (q->argv && w.has_cwd && p < end) {
		cwd = p;
		p += strlen(p) + 1;
	}
	if (!q->argv || (w.envc != UINT32_MAX && !q->envp) || (w.has_cwd && !cwd) || p != end) {
		free(q->argv);
		free(q->envp);
		policy_bpf_clear(&q->bpf);
		return -EBADMSG;
	}

	run_config_init(&q->c);
	q->c.memory_bytes = w.memory_bytes;
	q->c.cpu_time_ms = w.cpu_time_ms;
	q->c.wall_time_ms = w.wall_time_ms;
	q->c.pids = w.pids;
	q->c.output_limit = w.output_limit;
	q->c.file_size = w.file_size;
	q->c.disk_bytes = w.disk_bytes;
	q->c.open_files = w.open_files;
	q->c.argv = q->argv;
	q->c.envp = q->envp;
	q->c.cwd = cwd;
	q->c.bpf = &q->bpf;
	q->strings = TAKE_PTR(buf);
	*ret = TAKE_PTR(q);
	return 0;
}

const struct run_config *
run_request_config(const struct run_request *q)
{
	return &q->c;
}

struct run_request *
run_request_free(struct run_request *q)
{
	if (q) {
		policy_bpf_clear(&q->bpf);
		free(q->argv);
		free(q->envp);
		free(q->strings);
		free(q);
	}
	return NULL;
}
