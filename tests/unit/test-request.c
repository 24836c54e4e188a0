/* SPDX-License-Identifier: MIT */
/* The run request on the wire (sandbox/request.c): what `gradebox run` sends to a pool worker
 * and what a supervisor hands to its sandbox's init. Round trip, and every way a damaged
 * request must be refused instead of read past its end. */
#include "policy.h"
#include "run.h"
#include "tap.h"
#include "util.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static struct policy_bpf
two_insns(void)
{
	static uint64_t insns[2] = {0x0000000400000020ULL, 0x7fff000000000006ULL};
	return (struct policy_bpf){.insns = insns, .len = 2};
}

static int
t_round_trip(void)
{
	static char a0[] = "/usr/bin/env", a1[] = "a b", e0[] = "X=1", e1[] = "EMPTY=";
	char *argv[] = {a0, a1, NULL}, *envp[] = {e0, e1, NULL};
	struct policy_bpf bpf = two_insns();
	struct run_config c;
	run_config_init(&c);
	c.argv = argv;
	c.envp = envp;
	c.cwd = "/box/sub";
	c.memory_bytes = 12345;
	c.cpu_time_ms = 7;
	c.wall_time_ms = 9;
	c.pids = 3;
	c.output_limit = 11;
	c.file_size = 13;
	c.disk_bytes = 17;
	c.open_files = 19;

	_cleanup_close_ int fd = -1;
	CHECK_EQ_INT(run_request_pack(&c, &bpf, &fd), 0);
	_cleanup_(run_request_freep) struct run_request *q = NULL;
	CHECK_EQ_INT(run_request_unpack(fd, &q), 0);
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
	_cleanup_close_ int fd2 = -1;
	CHECK_EQ_INT(run_request_pack(&c, &bpf, &fd2), 0);
	_cleanup_(run_request_freep) struct run_request *q2 = NULL;
	CHECK_EQ_INT(run_request_unpack(fd2, &q2), 0);
	CHECK(run_request_config(q2)->envp == NULL);
	CHECK(run_request_config(q2)->cwd == NULL);
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

TAP_MAIN(TAP_TEST(t_round_trip), TAP_TEST(t_damaged))
