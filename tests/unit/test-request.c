/* SPDX-License-Identifier: MIT */
/* The run request on the wire (sandbox/request.c): what `gradebox run` sends to a pool worker
 * and what a supervisor hands to its sandbox's init. Round trip, and every way a damaged
 * request must be refused instead of read past its end. */
#include "policy.h"
#include "run.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

static struct policy_bpf
two_insns(void)
{
	static uint64_t insns[2] = {0x0000000400000020ULL, 0x7fff000000000006ULL};
	return (struct policy_bpf){.insns = insns, .len = 2};
}

/* A config running @argv with @envp in @cwd, everything else the defaults. */
static void
config_for(struct run_config *c, char **argv, char **envp, const char *cwd)
{
	run_config_init(c);
	c->argv = argv;
	c->envp = envp;
	c->cwd = cwd;
}

/* Packs @c (with a two-instruction filter) and unpacks it again into *ret. */
static int
round_trip(const struct run_config *c, struct run_request **ret)
{
	struct policy_bpf bpf = two_insns();
	_cleanup_close_ int fd = -1;
	int r = run_request_pack(c, &bpf, &fd);
	return r < 0 ? r : run_request_unpack(fd, ret);
}

static int
t_round_trip(void)
{
	static char a0[] = "/usr/bin/env", a1[] = "a b", e0[] = "X=1", e1[] = "EMPTY=";
	char *argv[] = {a0, a1, NULL}, *envp[] = {e0, e1, NULL};
	struct policy_bpf bpf = two_insns();
	struct run_config c;
	config_for(&c, argv, envp, "/box/sub");
	c.memory_bytes = 12345;
	c.cpu_time_ms = 7;
	c.wall_time_ms = 9;
	c.pids = 3;
	c.output_limit = 11;
	c.file_size = 13;
	c.disk_bytes = 17;
	c.open_files = 19;

	_cleanup_(run_request_freep) struct run_request *q = NULL;
	CHECK_EQ_INT(round_trip(&c, &q), 0);
	const struct run_config *u = run_request_config(q);
	CHECK_STREQ(u->argv[0], "/usr/bin/env");
	CHECK_STREQ(u->argv[1], "a b");
	CHECK(u->argv[2] == NULL);
	CHECK_STREQ(u->envp[0], "X=1");
	CHECK_STREQ(u->envp[1], "EMPTY=");
	CHECK(u->envp[2] == NULL);
	CHECK_STREQ(u->cwd, "/box/sub");
	CHECK(u->memory_bytes == 12345 && u->cpu_time_ms == 7 && u->wall_time_ms == 9);
	CHECK(u->pids == 3 && u->output_limit == 11 && u->file_size == 13);
	CHECK(u->disk_bytes == 17 && u->open_files == 19);
	CHECK(u->bpf && u->bpf->len == 2 && memcmp(u->bpf->insns, bpf.insns, 16) == 0);
	CHECK(u->stdin_fd == -1 && u->stdout_fd == -1 && u->cancel_fd == -1 && u->netns_fd == -1);

	/* No environment and no cwd: the sandbox's defaults, not empty ones. */
	c.envp = NULL;
	c.cwd = NULL;
	_cleanup_(run_request_freep) struct run_request *q2 = NULL;
	CHECK_EQ_INT(round_trip(&c, &q2), 0);
	CHECK(run_request_config(q2)->envp == NULL);
	CHECK(run_request_config(q2)->cwd == NULL);
	return 0;
}

/* More pieces than one writev batch holds (64): 300 arguments and 100 variables, each of its
 * own length, arrive whole and in order. */
static int
t_many_strings(void)
{
	enum {
		NA = 300,
		NE = 100
	};
	static char store[NA + NE][64];
	char *argv[NA + 1], *envp[NE + 1];
	for (int i = 0; i < NA; i++) {
		snprintf(store[i], sizeof(store[i]), "arg%d-%.*s", i, i % 40,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		argv[i] = store[i];
	}
	for (int i = 0; i < NE; i++) {
		snprintf(store[NA + i], sizeof(store[NA + i]), "V%d=%d", i, i * 7);
		envp[i] = store[NA + i];
	}
	argv[NA] = envp[NE] = NULL;
	struct run_config c;
	config_for(&c, argv, envp, "/box");

	_cleanup_(run_request_freep) struct run_request *q = NULL;
	CHECK_EQ_INT(round_trip(&c, &q), 0);
	const struct run_config *u = run_request_config(q);
	for (int i = 0; i < NA; i++)
		CHECK_STREQ(u->argv[i], argv[i]);
	CHECK(u->argv[NA] == NULL);
	for (int i = 0; i < NE; i++)
		CHECK_STREQ(u->envp[i], envp[i]);
	CHECK(u->envp[NE] == NULL);
	CHECK_STREQ(u->cwd, "/box");
	return 0;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* util_writev_all() through a pipe smaller than what it writes, read slowly, with a timer
 * signal (no SA_RESTART) interrupting the writer every 200 us: a writev interrupted after
 * some bytes returns a short count, and the rest must resume in the middle of a piece. The
 * reader gets every byte in order. */
static int
t_writev_short_writes(void)
{
	static char a[5000], b[70000], c[3];
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 0);
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (char)('A' + i % 23);
	memcpy(c, "end", 3);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
		struct itimerval it = {{0, 200}, {0, 200}};
		(void)sigaction(SIGALRM, &sa, NULL);
		(void)setitimer(ITIMER_REAL, &it, NULL);
		struct iovec iov[] = {{a, sizeof(a)}, {NULL, 0}, {b, sizeof(b)}, {c, sizeof(c)}};
		_exit(util_writev_all(p[1], iov, ELEMENTSOF(iov)) == 0 ? 0 : 1);
	}
	close(p[1]);
	static char got[sizeof(a) + sizeof(b) + sizeof(c) + 1];
	size_t n = 0;
	for (ssize_t k;
	     n < sizeof(got) &&
	     (k = read(p[0], got + n, sizeof(got) - n < 1000 ? sizeof(got) - n : 1000)) != 0;
	     n += (size_t)k) {
		if (k < 0 && errno == EINTR)
			k = 0;
		else if (k < 0)
			break;
		(void)usleep(300);
	}
	close(p[0]);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(n, (long)(sizeof(a) + sizeof(b) + sizeof(c)));
	CHECK(memcmp(got, a, sizeof(a)) == 0);
	CHECK(memcmp(got + sizeof(a), b, sizeof(b)) == 0);
	CHECK(memcmp(got + sizeof(a) + sizeof(b), c, sizeof(c)) == 0);
	return 0;
}

/* Packs a valid request and returns its bytes, for the damage tests. */
static size_t
packed(char *buf, size_t size)
{
	static char a0[] = "/bin/true";
	char *argv[] = {a0, NULL};
	struct policy_bpf bpf = two_insns();
	struct run_config c;
	run_config_init(&c);
	c.argv = argv;
	_cleanup_close_ int fd = -1;
	if (run_request_pack(&c, &bpf, &fd) < 0)
		return 0;
	ssize_t n = pread(fd, buf, size, 0);
	return n > 0 ? (size_t)n : 0;
}

static int
unpack_bytes(const void *buf, size_t n)
{
	_cleanup_close_ int fd = memfd_create("t", MFD_CLOEXEC);
	if (fd < 0 || util_write_all(fd, buf, n) < 0)
		return -999;
	struct run_request *q = NULL;
	int r = run_request_unpack(fd, &q);
	run_request_free(q);
	return r;
}

static int
t_damaged(void)
{
	char buf[4096], bad[4096];
	size_t n = packed(buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ_INT(unpack_bytes(buf, n), 0);

	/* Every truncation is refused. */
	for (size_t k = 0; k < n; k++)
		CHECK(unpack_bytes(buf, k) < 0);
	/* Trailing garbage too: the strings must end where the file ends. */
	memcpy(bad, buf, n);
	bad[n] = 'x';
	CHECK_EQ_INT(unpack_bytes(bad, n + 1), -EBADMSG);
	/* The last string without its NUL. */
	memcpy(bad, buf, n);
	bad[n - 1] = 'x';
	CHECK_EQ_INT(unpack_bytes(bad, n), -EBADMSG);
	/* Another magic or version. */
	memcpy(bad, buf, n);
	bad[0] ^= 1;
	CHECK_EQ_INT(unpack_bytes(bad, n), -EPROTO);
	memcpy(bad, buf, n);
	bad[4] = 99;
	CHECK_EQ_INT(unpack_bytes(bad, n), -EPROTO);
	/* Counts that do not match the bytes (argc is the first u32 after 8 + 8*8 bytes). */
	memcpy(bad, buf, n);
	bad[72] = 50;
	CHECK_EQ_INT(unpack_bytes(bad, n), -EBADMSG);
	/* No argument at all. */
	memcpy(bad, buf, n);
	memset(bad + 72, 0, 4);
	CHECK_EQ_INT(unpack_bytes(bad, n), -EBADMSG);
	/* A filter length that points past the end. */
	memcpy(bad, buf, n);
	bad[84] = (char)0xff;
	CHECK_EQ_INT(unpack_bytes(bad, n), -EBADMSG);
	/* Packing refuses what cannot work. */
	struct run_config c;
	run_config_init(&c);
	int fd = -1;
	struct policy_bpf bpf = two_insns();
	CHECK_EQ_INT(run_request_pack(&c, &bpf, &fd), -EINVAL); /* no argv */
	return 0;
}

TAP_MAIN(TAP_TEST(t_round_trip), TAP_TEST(t_many_strings), TAP_TEST(t_writev_short_writes),
	 TAP_TEST(t_damaged))
