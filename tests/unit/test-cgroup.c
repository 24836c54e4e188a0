/* SPDX-License-Identifier: MIT */
/* cgroup.c: the pure parts on fake v1 and v2 trees in a temp dir (detection, checks, the values
 * written into each knob, counter parsing), then the real thing at /sys/fs/cgroup (whichever
 * version it is): OOM, pids.max, CPU accounting, freeze, killing a tree, removal. Every process
 * that misbehaves on purpose runs only after it has checked that it sits in our group. */
#include "cgroup.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#define REAL_ROOT "/sys/fs/cgroup"
#define MIB	  (1024ULL * 1024)

static const char *const v1_ctrls[] = {"memory", "pids", "cpuacct", "freezer"};

/* ---- helpers ---------------------------------------------------------------------------- */

struct tmpdir {
	char path[64];
};

static void
tmpdir_remove(struct tmpdir *t)
{
	if (t->path[0])
		(void)util_rm_rf(t->path);
}

static int
tmpdir_make(struct tmpdir *t)
{
	strcpy(t->path, "/tmp/test-cgroup-XXXXXX");
	if (!mkdtemp(t->path)) {
		t->path[0] = 0;
		return -errno;
	}
	return 0;
}

/* Creates @root/@rel holding @content, and its parents. */
static int
put(const char *root, const char *rel, const char *content)
{
	char p[PATH_MAX];

	(void)snprintf(p, sizeof(p), "%s/%s", root, rel);
	char *slash = strrchr(p, '/');
	*slash = 0;
	int r = util_mkdir_p(p, 0755);
	if (r < 0)
		return r;
	*slash = '/';
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, content, strlen(content));
}

/* Contents of @root/@rel, or "<missing>". Returns a static buffer. */
static const char *
get(const char *root, const char *rel)
{
	static char buf[512];
	char p[PATH_MAX];

	(void)snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (util_read_file_at(AT_FDCWD, p, buf, sizeof(buf)) < 0)
		return "<missing>";
	return buf;
}

static bool
exists(const char *root, const char *rel)
{
	char p[PATH_MAX];

	(void)snprintf(p, sizeof(p), "%s/%s", root, rel);
	return access(p, F_OK) == 0;
}

/* A fake v1 root: one directory per hierarchy with the file cgroup_check() probes. */
static int
fake_v1_root(const char *root)
{
	int r = 0;

	r = r ?: put(root, "memory/memory.limit_in_bytes", "9223372036854771712\n");
	r = r ?: put(root, "memory/cgroup.procs", "");
	r = r ?: put(root, "pids/cgroup.procs", "");
	r = r ?: put(root, "cpuacct/cpuacct.usage", "0\n");
	r = r ?: put(root, "cpuacct/cgroup.procs", "");
	r = r ?: put(root, "freezer/cgroup.procs", "");
	return r;
}

/* What the kernel would create in a new v1 group (the files cgroup.c touches). */
static int
fake_v1_leaf(const char *root, const char *name, bool memsw)
{
	static const char *const files[][2] = {
		{"memory", "memory.limit_in_bytes"},
		{"memory", "memory.swappiness"},
		{"memory", "memory.max_usage_in_bytes"},
		{"memory", "memory.oom_control"},
		{"pids", "pids.max"},
		{"pids", "pids.events"},
		{"cpuacct", "cpuacct.usage"},
		{"freezer", "freezer.state"},
	};
	char rel[256];
	int r;

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		(void)snprintf(rel, sizeof(rel), "%s/gradebox/%s/%s", files[i][0], name,
			       files[i][1]);
		if ((r = put(root, rel, "")) < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		(void)snprintf(rel, sizeof(rel), "%s/gradebox/%s/cgroup.procs", v1_ctrls[i], name);
		if ((r = put(root, rel, "")) < 0)
			return r;
	}
	if (memsw) {
		(void)snprintf(rel, sizeof(rel), "memory/gradebox/%s/memory.memsw.limit_in_bytes",
			       name);
		if ((r = put(root, rel, "")) < 0)
			return r;
	}
	return 0;
}

static int
fake_v2_root(const char *root, const char *controllers)
{
	int r = 0;

	r = r ?: put(root, "cgroup.controllers", controllers);
	r = r ?: put(root, "cgroup.subtree_control", "");
	r = r ?: put(root, "gradebox/cgroup.controllers", controllers);
	r = r ?: put(root, "gradebox/cgroup.subtree_control", "");
	return r;
}

static int
fake_v2_leaf(const char *root, const char *name, bool peak, bool swap)
{
	static const char *const files[] = {
		"memory.max",	"pids.max",    "cpu.stat",	"memory.events", "pids.events",
		"cgroup.procs", "cgroup.kill", "cgroup.freeze", "cpu.weight",
	};
	char rel[256];
	int r;

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		(void)snprintf(rel, sizeof(rel), "gradebox/%s/%s", name, files[i]);
		if ((r = put(root, rel, "")) < 0)
			return r;
	}
	(void)snprintf(rel, sizeof(rel), "gradebox/%s/cgroup.events", name);
	if ((r = put(root, rel, "populated 0\nfrozen 0\n")) < 0)
		return r;
	if (peak) {
		(void)snprintf(rel, sizeof(rel), "gradebox/%s/memory.peak", name);
		if ((r = put(root, rel, "")) < 0)
			return r;
	}
	if (swap) {
		(void)snprintf(rel, sizeof(rel), "gradebox/%s/memory.swap.max", name);
		if ((r = put(root, rel, "")) < 0)
			return r;
	}
	return 0;
}

/* ---- pure parts on fake trees ------------------------------------------------------------ */

static int
t_format_limit(void)
{
	char buf[32];

	CHECK_STREQ(cgroup_format_limit(CGROUP_V2, 0, buf, sizeof(buf)), "max");
	CHECK_STREQ(cgroup_format_limit(CGROUP_V1, 0, buf, sizeof(buf)), "-1");
	CHECK_STREQ(cgroup_format_limit(CGROUP_V2, 32 * MIB, buf, sizeof(buf)), "33554432");
	CHECK_STREQ(cgroup_format_limit(CGROUP_V1, 32 * MIB, buf, sizeof(buf)), "33554432");
	CHECK_STREQ(cgroup_format_limit(CGROUP_V1, UINT64_MAX, buf, sizeof(buf)),
		    "18446744073709551615");
	/* Truncated, never overflowing. */
	CHECK_STREQ(cgroup_format_limit(CGROUP_V1, 123456, buf, 4), "123");
	return 0;
}

/* nice -> cpu.weight follows the kernel's table, scaled so that nice 0 is v2's default. */
static int
t_weight_for_nice(void)
{
	CHECK_EQ_INT(cgroup_weight_for_nice(0), 100);
	CHECK_EQ_INT(cgroup_weight_for_nice(10), 11);
	CHECK_EQ_INT(cgroup_weight_for_nice(5), 33);
	CHECK_EQ_INT(cgroup_weight_for_nice(19), 1);
	CHECK_EQ_INT(cgroup_weight_for_nice(-1), 125);
	CHECK_EQ_INT(cgroup_weight_for_nice(-20), 8668);
	/* Out of range: clamped, like setpriority(). */
	CHECK_EQ_INT(cgroup_weight_for_nice(40), 1);
	CHECK_EQ_INT(cgroup_weight_for_nice(-99), 8668);
	/* Each step of niceness weighs less than the one before (about 1.25x apart) until the
	 * 1..10000 range's rounding makes neighbours equal at the low end. */
	for (int n = -20; n < 19; n++)
		CHECK(cgroup_weight_for_nice(n) >= cgroup_weight_for_nice(n + 1));
	return 0;
}

static int
t_detect_fake(void)
{
	_cleanup_(tmpdir_remove) struct tmpdir t = {""};
	enum cgroup_version v = 0;
	char root[128];

	CHECK(tmpdir_make(&t) == 0);
	CHECK_EQ_INT(cgroup_detect(t.path, &v), -ENOENT);

	(void)snprintf(root, sizeof(root), "%s/v1", t.path);
	CHECK(fake_v1_root(root) == 0);
	CHECK_EQ_INT(cgroup_detect(root, &v), 0);
	CHECK_EQ_INT(v, CGROUP_V1);
	/* A v1 host with a cgroup2 mount at unified/ is still v1 at the root given. */
	CHECK(put(root, "unified/cgroup.controllers", "hugetlb\n") == 0);
	CHECK_EQ_INT(cgroup_detect(root, &v), 0);
	CHECK_EQ_INT(v, CGROUP_V1);

	(void)snprintf(root, sizeof(root), "%s/v2", t.path);
	CHECK(fake_v2_root(root, "cpu memory pids\n") == 0);
	CHECK_EQ_INT(cgroup_detect(root, &v), 0);
	CHECK_EQ_INT(v, CGROUP_V2);
	return 0;
}

static int
t_check_fake_v1(void)
{
	_cleanup_(tmpdir_remove) struct tmpdir t = {""};
	char err[256] = "", p[PATH_MAX];

	CHECK(tmpdir_make(&t) == 0);
	CHECK(fake_v1_root(t.path) == 0);
	CHECK_EQ_INT(cgroup_check(t.path, CGROUP_V1, err, sizeof(err)), 0);

	(void)snprintf(p, sizeof(p), "%s/pids", t.path);
	CHECK(util_rm_rf(p) == 0);
	CHECK_EQ_INT(cgroup_check(t.path, CGROUP_V1, err, sizeof(err)), -ENOTSUP);
	printf("# message: %s\n", err);
	CHECK(strstr(err, "'pids'") && strstr(err, p));

	/* cgroup_create refuses too, before creating anything. */
	struct cgroup_limits lim = {32 * MIB, 8};
	struct cgroup *cg = NULL;
	err[0] = 0;
	CHECK_EQ_INT(cgroup_create(t.path, "box-1", &lim, &cg, err, sizeof(err)), -ENOTSUP);
	CHECK(cg == NULL && strstr(err, "'pids'"));
	CHECK(!exists(t.path, "memory/gradebox"));
	return 0;
}

static int
t_check_fake_v2(void)
{
	_cleanup_(tmpdir_remove) struct tmpdir t = {""};
	char err[256] = "";

	CHECK(tmpdir_make(&t) == 0);
	CHECK(fake_v2_root(t.path, "cpuset cpu io memory hugetlb pids rdma misc\n") == 0);
	CHECK_EQ_INT(cgroup_check(t.path, CGROUP_V2, err, sizeof(err)), 0);
	CHECK(put(t.path, "cgroup.controllers", "cpuset cpu io memory\n") == 0);
	CHECK_EQ_INT(cgroup_check(t.path, CGROUP_V2, err, sizeof(err)), -ENOTSUP);
	printf("# message: %s\n", err);
	CHECK(strstr(err, "'pids'") && strstr(err, "cgroup.controllers"));
	/* "cpuset" must not count as "cpu". */
	CHECK(put(t.path, "cgroup.controllers", "cpuset memory pids\n") == 0);
	CHECK_EQ_INT(cgroup_check(t.path, CGROUP_V2, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "'cpu'"));
	return 0;
}

static int
t_create_fake_v1(void)
{
	_cleanup_(tmpdir_remove) struct tmpdir t = {""};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_limits lim = {32 * MIB, 8};
	char err[256] = "";

	CHECK(tmpdir_make(&t) == 0);
	CHECK(fake_v1_root(t.path) == 0);

	/* A fake tree has no kernel to fill in a new group's knobs: create makes the directories,
	 * fails on the first knob, and removes what it made. */
	CHECK_EQ_INT(cgroup_create(t.path, "box-1", &lim, &cg, err, sizeof(err)), -ENOENT);
	printf("# message: %s\n", err);
	CHECK(strstr(err, "memory.limit_in_bytes"));
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		char rel[64];
		(void)snprintf(rel, sizeof(rel), "%s/gradebox", v1_ctrls[i]);
		CHECK(exists(t.path, rel)); /* mkdir -p of the shared parent */
		(void)snprintf(rel, sizeof(rel), "%s/gradebox/box-1", v1_ctrls[i]);
		CHECK(!exists(t.path, rel));
	}
	CHECK_EQ_INT(cgroup_create(t.path, "../x", &lim, &cg, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(cgroup_create(t.path, "a/b", &lim, &cg, err, sizeof(err)), -EINVAL);

	/* With the knobs in place: the values each file receives. */
	CHECK(fake_v1_leaf(t.path, "box-1", true) == 0);
	CHECK_EQ_INT(cgroup_open(t.path, "box-1", &cg, err, sizeof(err)), 0);
	CHECK_EQ_INT(cgroup_version(cg), CGROUP_V1);
	CHECK_EQ_INT(cgroup_dirfd(cg), -EOPNOTSUPP);
	CHECK(strstr(cgroup_path(cg), "/memory/gradebox/box-1"));
	CHECK_EQ_INT(cgroup_set_limits(cg, &lim, err, sizeof(err)), 0);
	CHECK_STREQ(get(t.path, "memory/gradebox/box-1/memory.limit_in_bytes"), "33554432");
	CHECK_STREQ(get(t.path, "memory/gradebox/box-1/memory.memsw.limit_in_bytes"), "33554432");
	CHECK_STREQ(get(t.path, "memory/gradebox/box-1/memory.swappiness"), "0");
	CHECK_STREQ(get(t.path, "pids/gradebox/box-1/pids.max"), "8");
	/* v1 has no cpu hierarchy of ours: a weight is not written anywhere, and is no error. */
	struct cgroup_limits weighed = {32 * MIB, 8, cgroup_weight_for_nice(10)};
	CHECK_EQ_INT(cgroup_set_limits(cg, &weighed, err, sizeof(err)), 0);
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		char rel[64];
		(void)snprintf(rel, sizeof(rel), "%s/gradebox/box-1/cpu.weight", v1_ctrls[i]);
		CHECK(!exists(t.path, rel));
	}

	/* Attach writes the pid into every hierarchy. The pid is ours: the fake cgroup.procs is
	 * emptied again below, before anything could act on it (destroy SIGKILLs what is listed). */
	char me[16];
	(void)snprintf(me, sizeof(me), "%d", (int)getpid());
	CHECK_EQ_INT(cgroup_attach(cg, getpid()), 0);
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		char rel[64];
		(void)snprintf(rel, sizeof(rel), "%s/gradebox/box-1/cgroup.procs", v1_ctrls[i]);
		CHECK_STREQ(get(t.path, rel), me);
		CHECK(put(t.path, rel, "") == 0);
	}

	/* Unlimited: "-1" for memory on v1, "max" for pids. Without memsw nothing is written
	 * there (the file stays absent). */
	struct cgroup_limits none = {0, 0};
	CHECK(put(t.path, "memory/gradebox/box-1/memory.limit_in_bytes", "") == 0);
	CHECK(put(t.path, "pids/gradebox/box-1/pids.max", "") == 0);
	CHECK_EQ_INT(cgroup_set_limits(cg, &none, err, sizeof(err)), 0);
	CHECK_STREQ(get(t.path, "memory/gradebox/box-1/memory.limit_in_bytes"), "-1");
	CHECK_STREQ(get(t.path, "pids/gradebox/box-1/pids.max"), "max");

	/* A missing pids.max (pids not really mounted there) is an error naming the file. */
	char knob[PATH_MAX];
	(void)snprintf(knob, sizeof(knob), "%s/pids/gradebox/box-1/pids.max", t.path);
	CHECK(unlink(knob) == 0);
	CHECK_EQ_INT(cgroup_set_limits(cg, &lim, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "pids.max"));

	/* Kill and freeze on the fake tree: freezer.state reads back what was written, no pid is
	 * listed, so destroy's kill succeeds and only rmdir fails (regular files inside). */
	CHECK_EQ_INT(cgroup_freeze(cg, true), 0);
	CHECK_STREQ(get(t.path, "freezer/gradebox/box-1/freezer.state"), "FROZEN");
	CHECK_EQ_INT(cgroup_freeze(cg, false), 0);
	CHECK_STREQ(get(t.path, "freezer/gradebox/box-1/freezer.state"), "THAWED");
	CHECK_EQ_INT(cgroup_kill(cg), 0);
	CHECK_EQ_INT(cgroup_count_procs(cg), 0);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), -ENOTEMPTY);
	return 0;
}

static int
t_create_fake_v2(void)
{
	_cleanup_(tmpdir_remove) struct tmpdir t = {""};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_limits lim = {32 * MIB, 8};
	char err[256] = "";

	CHECK(tmpdir_make(&t) == 0);
	CHECK(fake_v2_root(t.path, "cpuset cpu io memory hugetlb pids rdma misc\n") == 0);

	CHECK_EQ_INT(cgroup_create(t.path, "box-2", &lim, &cg, err, sizeof(err)), -ENOENT);
	printf("# message: %s\n", err);
	CHECK(strstr(err, "memory.max"));
	CHECK_STREQ(get(t.path, "cgroup.subtree_control"), "+memory +pids +cpu");
	CHECK_STREQ(get(t.path, "gradebox/cgroup.subtree_control"), "+memory +pids +cpu");
	CHECK(!exists(t.path, "gradebox/box-2"));

	/* Already enabled: nothing is written (only the missing ones would be). */
	CHECK(put(t.path, "cgroup.subtree_control", "cpu memory pids\n") == 0);
	CHECK(put(t.path, "gradebox/cgroup.subtree_control", "pids memory\n") == 0);
	CHECK_EQ_INT(cgroup_create(t.path, "box-2", &lim, &cg, err, sizeof(err)), -ENOENT);
	CHECK_STREQ(get(t.path, "cgroup.subtree_control"), "cpu memory pids\n");
	/* Only "+cpu" written, over the start of the regular file. */
	CHECK_STREQ(get(t.path, "gradebox/cgroup.subtree_control"), "+cpu memory\n");

	/* A controller the parent cannot give is a refusal naming it. */
	CHECK(put(t.path, "gradebox/cgroup.controllers", "cpu memory\n") == 0);
	CHECK_EQ_INT(cgroup_create(t.path, "box-2", &lim, &cg, err, sizeof(err)), -ENOTSUP);
	printf("# message: %s\n", err);
	CHECK(strstr(err, "'pids'") && strstr(err, "gradebox/cgroup.controllers"));

	CHECK(fake_v2_leaf(t.path, "box-2", true, true) == 0);
	CHECK_EQ_INT(cgroup_open(t.path, "box-2", &cg, err, sizeof(err)), 0);
	CHECK_EQ_INT(cgroup_version(cg), CGROUP_V2);
	CHECK(cgroup_dirfd(cg) >= 0);
	CHECK(strstr(cgroup_path(cg), "/gradebox/box-2"));
	CHECK_EQ_INT(cgroup_set_limits(cg, &lim, err, sizeof(err)), 0);
	CHECK_STREQ(get(t.path, "gradebox/box-2/memory.max"), "33554432");
	CHECK_STREQ(get(t.path, "gradebox/box-2/memory.swap.max"), "0");
	CHECK_STREQ(get(t.path, "gradebox/box-2/pids.max"), "8");
	CHECK_STREQ(get(t.path, "gradebox/box-2/cpu.weight"), ""); /* 0: left alone */
	/* A grader's sandbox (nice 10) weighs 11 against its siblings, as its tasks would. */
	struct cgroup_limits weighed = {32 * MIB, 8, cgroup_weight_for_nice(10)};
	CHECK_EQ_INT(cgroup_set_limits(cg, &weighed, err, sizeof(err)), 0);
	CHECK_STREQ(get(t.path, "gradebox/box-2/cpu.weight"), "11");

	struct cgroup_limits none = {0, 0};
	CHECK(put(t.path, "gradebox/box-2/memory.max", "") == 0);
	CHECK(put(t.path, "gradebox/box-2/pids.max", "") == 0);
	CHECK_EQ_INT(cgroup_set_limits(cg, &none, err, sizeof(err)), 0);
	CHECK_STREQ(get(t.path, "gradebox/box-2/memory.max"), "max");
	CHECK_STREQ(get(t.path, "gradebox/box-2/pids.max"), "max");

	/* The waits read cgroup.events: frozen/populated are what a real kernel would report. */
	CHECK(put(t.path, "gradebox/box-2/cgroup.events", "populated 1\nfrozen 1\n") == 0);
	CHECK_EQ_INT(cgroup_freeze(cg, true), 0);
	CHECK_STREQ(get(t.path, "gradebox/box-2/cgroup.freeze"), "1");
	CHECK_EQ_INT(cgroup_freeze(cg, false), 0);
	CHECK_STREQ(get(t.path, "gradebox/box-2/cgroup.freeze"), "0");
	/* "populated 1" never changes on a regular file: kill gives up after its bound. */
	uint64_t t0 = util_now_ns();
	CHECK_EQ_INT(cgroup_kill(cg), -EBUSY);
	CHECK(util_now_ns() - t0 >= 1000ULL * 1000 * 1000);
	CHECK_STREQ(get(t.path, "gradebox/box-2/cgroup.kill"), "1");
	CHECK(put(t.path, "gradebox/box-2/cgroup.events", "populated 0\nfrozen 0\n") == 0);
	CHECK_EQ_INT(cgroup_kill(cg), 0);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), -ENOTEMPTY);
	return 0;
}

static int
t_stats_fake(void)
{
	_cleanup_(tmpdir_remove) struct tmpdir t = {""};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_stats s;
	char err[256] = "", root[128];

	CHECK(tmpdir_make(&t) == 0);

	(void)snprintf(root, sizeof(root), "%s/v1", t.path);
	CHECK(fake_v1_root(root) == 0);
	CHECK(fake_v1_leaf(root, "box-s", false) == 0);
	CHECK(put(root, "cpuacct/gradebox/box-s/cpuacct.usage", "201234567\n") == 0);
	CHECK(put(root, "memory/gradebox/box-s/memory.max_usage_in_bytes", "33554432\n") == 0);
	CHECK(put(root, "memory/gradebox/box-s/memory.oom_control",
		  "oom_kill_disable 7\nunder_oom 0\noom_kill 3\n") == 0);
	CHECK(put(root, "pids/gradebox/box-s/pids.events", "max 12\n") == 0);
	CHECK_EQ_INT(cgroup_open(root, "box-s", &cg, err, sizeof(err)), 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	CHECK_EQ_INT(s.cpu_usage_ns, 201234567);
	CHECK_EQ_INT(s.memory_peak_bytes, 33554432);
	CHECK_EQ_INT(s.oom_kills, 3);
	CHECK_EQ_INT(s.pids_max_hits, 12);
	/* The fds stay open: a second call sees new contents (pread at 0, no reopen). */
	CHECK(put(root, "cpuacct/gradebox/box-s/cpuacct.usage", "5\n") == 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	CHECK_EQ_INT(s.cpu_usage_ns, 5);
	/* An oom_control without the oom_kill line (Linux < 4.13) is refused, not read as 0. */
	CHECK(put(root, "memory/gradebox/box-s/memory.oom_control",
		  "oom_kill_disable 0\nunder_oom 0\n") == 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), -EBADMSG);
	(void)cgroup_destroy(TAKE_PTR(cg));

	(void)snprintf(root, sizeof(root), "%s/v2", t.path);
	CHECK(fake_v2_root(root, "cpu memory pids\n") == 0);
	CHECK(fake_v2_leaf(root, "box-s", true, false) == 0);
	CHECK(put(root, "gradebox/box-s/cpu.stat",
		  "usage_usec 200123\nuser_usec 150000\nsystem_usec 50123\n"
		  "core_sched.force_idle_usec 0\nnr_periods 0\nnr_throttled 0\n"
		  "throttled_usec 0\nnr_bursts 0\nburst_usec 0\n") == 0);
	CHECK(put(root, "gradebox/box-s/memory.peak", "1048576\n") == 0);
	CHECK(put(root, "gradebox/box-s/memory.events",
		  "low 0\nhigh 0\nmax 40\noom 2\noom_kill 1\noom_group_kill 9\n") == 0);
	CHECK(put(root, "gradebox/box-s/pids.events", "max.imposed 4\nmax 6\n") == 0);
	CHECK_EQ_INT(cgroup_open(root, "box-s", &cg, err, sizeof(err)), 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	CHECK_EQ_INT(s.cpu_usage_ns, 200123000);
	CHECK_EQ_INT(s.memory_peak_bytes, 1048576);
	CHECK_EQ_INT(s.oom_kills, 1);
	CHECK_EQ_INT(s.pids_max_hits, 6);
	(void)cgroup_destroy(TAKE_PTR(cg));

	/* Without memory.peak (Linux < 5.19) the peak reads 0. */
	CHECK(fake_v2_leaf(root, "box-t", false, false) == 0);
	CHECK(put(root, "gradebox/box-t/cpu.stat", "usage_usec 1\n") == 0);
	CHECK(put(root, "gradebox/box-t/memory.events", "oom_kill 0\n") == 0);
	CHECK(put(root, "gradebox/box-t/pids.events", "max 0\n") == 0);
	CHECK_EQ_INT(cgroup_open(root, "box-t", &cg, err, sizeof(err)), 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	CHECK_EQ_INT(s.cpu_usage_ns, 1000);
	CHECK_EQ_INT(s.memory_peak_bytes, 0);
	/* Garbage is an error. */
	CHECK(put(root, "gradebox/box-t/pids.events", "max lots\n") == 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), -EBADMSG);
	return 0;
}

/* ---- real cgroups at /sys/fs/cgroup -------------------------------------------------------- */

/* Our children, killed and reaped on the way out whatever happens. Declared before the cgroup
 * so that it runs after cgroup_destroyp(): a frozen v1 task cannot die before its thaw. */
struct kids {
	pid_t pid[8];
};

static int
wait_exit(pid_t pid, unsigned timeout_s, int *ret_status)
{
	uint64_t deadline = util_now_ns() + timeout_s * 1000000000ULL;

	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			*ret_status = status;
			return 0;
		}
		if (r < 0)
			return -errno;
		if (util_now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(5000);
	}
}

static void
kids_reap(struct kids *k)
{
	for (size_t i = 0; i < ELEMENTSOF(k->pid); i++) {
		int status;
		if (k->pid[i] <= 0)
			continue;
		(void)kill(k->pid[i], SIGKILL);
		if (wait_exit(k->pid[i], 10, &status) < 0)
			printf("# could not reap %d\n", (int)k->pid[i]);
		k->pid[i] = 0;
	}
}

static void
kids_add(struct kids *k, pid_t pid)
{
	for (size_t i = 0; i < ELEMENTSOF(k->pid); i++)
		if (k->pid[i] <= 0) {
			k->pid[i] = pid;
			return;
		}
}

/* Waits for a kid, forgetting it once reaped. */
static int
kids_wait(struct kids *k, pid_t pid, unsigned timeout_s, int *ret_status)
{
	int r = wait_exit(pid, timeout_s, ret_status);

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(k->pid); i++)
		if (k->pid[i] == pid)
			k->pid[i] = 0;
	return r;
}

/* Names are "box-test-<runner pid>-<tag>": unique per run, and the last test can find what a
 * crashed test left behind. Each test runs in a child of the runner. */
static void
test_name(char *buf, size_t size, const char *tag)
{
	(void)snprintf(buf, size, "box-test-%d-%s", (int)getppid(), tag);
}

/* Creates the real group box-test-<runner>-@tag (its name in @name) with @lim; says why on
 * failure. Returns cgroup_create()'s result. */
static int
real_create(const char *tag, const struct cgroup_limits *lim, char *name, size_t size,
	    struct cgroup **ret)
{
	char err[256] = "";
	test_name(name, size, tag);
	int r = cgroup_create(REAL_ROOT, name, lim, ret, err, sizeof(err));
	if (r < 0)
		printf("# %s\n", err);
	return r;
}

/* Skips unless /sys/fs/cgroup is a usable v1 or v2 tree we may write to. */
static int
real_setup(enum cgroup_version *ret)
{
	char err[256], why[300];

	if (geteuid() != 0)
		return tap_skip("needs root to create cgroups");
	if (cgroup_detect(REAL_ROOT, ret) < 0)
		return tap_skip("no cgroup filesystem at " REAL_ROOT);
	if (cgroup_check(REAL_ROOT, *ret, err, sizeof(err)) < 0) {
		(void)snprintf(why, sizeof(why), "%s", err);
		return tap_skip(why);
	}
	printf("# " REAL_ROOT " is cgroup v%d\n", (int)*ret);
	return 0;
}

/* True when /proc/self/cgroup places us in gradebox/@name in every hierarchy we need. */
static bool
in_group(const char *name, enum cgroup_version v)
{
	char buf[4096], needle[256];
	int n = 0;

	if (util_read_file_at(AT_FDCWD, "/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return false;
	(void)snprintf(needle, sizeof(needle), "/gradebox/%s\n", name);
	for (const char *p = buf; (p = strstr(p, needle)); p++)
		n++;
	return n >= (v == CGROUP_V1 ? 4 : 1);
}

/* Forks a child that waits until it is attached to @cg, checks that it is inside, and only
 * then runs @fn (which must not return to the test's code: its result is the exit code). */
static pid_t
spawn_in(struct cgroup *cg, const char *name, int (*fn)(void *), void *arg)
{
	int go[2];

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(go[0]);
		close(go[1]);
		return r;
	}
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(98); /* parent gave up: never run outside the group */
		if (!in_group(name, cgroup_version(cg)))
			_exit(99);
		_exit(fn(arg));
	}
	close(go[0]);
	int r = cgroup_attach(cg, pid);
	if (r < 0 || write(go[1], "x", 1) != 1) {
		int status;
		if (r >= 0)
			r = -EIO;
		close(go[1]);
		(void)kill(pid, SIGKILL);
		(void)wait_exit(pid, 10, &status);
		return r;
	}
	close(go[1]);
	return pid;
}

static int
do_hog(void *arg _unused_)
{
	size_t size = 64 * MIB;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < size; i += 4096)
		((volatile char *)p)[i] = 1;
	return 3; /* survived: the limit did not hold */
}

static int
do_sleep(void *arg _unused_)
{
	alarm(60); /* bounded even if every cleanup fails */
	pause();
	return 0;
}

static int
do_forkloop(void *arg _unused_)
{
	int eagain = 0;

	for (int i = 0; i < 50; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(30);
			pause();
			_exit(0);
		}
		if (pid < 0 && errno == EAGAIN)
			eagain++;
	}
	return eagain > 0 ? 0 : 4;
}

static int
do_spin(void *arg _unused_)
{
	struct timespec ts;
	uint64_t wall_end = util_now_ns() + 30ULL * 1000000000ULL;

	for (;;) {
		(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		if (ts.tv_sec > 0 || ts.tv_nsec >= 200 * 1000 * 1000)
			return 0;
		if (util_now_ns() > wall_end)
			return 5;
	}
}

static int
do_count(void *arg)
{
	volatile uint64_t *counter = arg;
	uint64_t wall_end = util_now_ns() + 60ULL * 1000000000ULL;

	while (util_now_ns() < wall_end) {
		(*counter)++;
		usleep(1000);
	}
	return 0;
}

struct tree_arg {
	int info_fd; /* write end: the grandchild's pid goes here */
};

static int
do_tree(void *arg)
{
	struct tree_arg *a = arg;
	pid_t pid = fork();

	if (pid < 0)
		return 6;
	if (pid == 0) {
		pid_t me = getpid();
		alarm(60);
		if (write(a->info_fd, &me, sizeof(me)) != sizeof(me))
			_exit(7);
		pause();
		_exit(0);
	}
	alarm(60);
	pause();
	return 0;
}

static int
t_real_oom(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_limits lim = {32 * MIB, 8};
	struct cgroup_stats s;
	enum cgroup_version v;
	char name[64];
	int r, status;

	if ((r = real_setup(&v)) != 0)
		return r;
	CHECK_EQ_INT(real_create("oom", &lim, name, sizeof(name), &cg), 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	CHECK_EQ_INT(s.oom_kills, 0);

	pid_t pid = spawn_in(cg, name, do_hog, NULL);
	CHECK(pid > 0);
	kids_add(&k, pid);
	CHECK_EQ_INT(kids_wait(&k, pid, 120, &status), 0);
	printf("# hog: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	printf("# oom_kills %" PRIu64 ", peak %" PRIu64 " bytes\n", s.oom_kills,
	       s.memory_peak_bytes);
	CHECK(s.oom_kills >= 1);
	CHECK(s.memory_peak_bytes == 0 || s.memory_peak_bytes <= 33 * MIB);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), 0);
	return 0;
}

static int
t_real_pids(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_limits lim = {64 * MIB, 8};
	struct cgroup_stats s;
	enum cgroup_version v;
	char name[64];
	int r, status;

	if ((r = real_setup(&v)) != 0)
		return r;
	CHECK_EQ_INT(real_create("pids", &lim, name, sizeof(name), &cg), 0);

	pid_t pid = spawn_in(cg, name, do_forkloop, NULL);
	CHECK(pid > 0);
	kids_add(&k, pid);
	CHECK_EQ_INT(kids_wait(&k, pid, 120, &status), 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	int n = cgroup_count_procs(cg);
	printf("# pids_max_hits %" PRIu64 ", %d tasks left (the orphans)\n", s.pids_max_hits, n);
	CHECK(s.pids_max_hits >= 1);
	CHECK(n >= 1 && n <= 8);
	CHECK_EQ_INT(cgroup_kill(cg), 0);
	CHECK_EQ_INT(cgroup_count_procs(cg), 0);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), 0);
	return 0;
}

static int
t_real_cpu(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_limits lim = {64 * MIB, 8};
	struct cgroup_stats s;
	enum cgroup_version v;
	char name[64];
	int r, status;

	if ((r = real_setup(&v)) != 0)
		return r;
	CHECK_EQ_INT(real_create("cpu", &lim, name, sizeof(name), &cg), 0);

	pid_t pid = spawn_in(cg, name, do_spin, NULL);
	CHECK(pid > 0);
	kids_add(&k, pid);
	CHECK_EQ_INT(kids_wait(&k, pid, 120, &status), 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	printf("# cpu_usage %.1f ms for a 200 ms spinner\n", (double)s.cpu_usage_ns / 1e6);
	/* The spinner's own clock includes the little it ran before the attach. */
	CHECK(s.cpu_usage_ns >= 180ULL * 1000 * 1000);
	CHECK(s.cpu_usage_ns <= 2000ULL * 1000 * 1000);

	/* cgroup_stats is polled every few ms by the supervisor: keep an eye on its cost. */
	uint64_t t0 = util_now_ns();
	for (int i = 0; i < 1000; i++)
		CHECK_EQ_INT(cgroup_stats(cg, &s), 0);
	printf("# cgroup_stats: %.1f us per call\n", (double)(util_now_ns() - t0) / 1000 / 1000);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), 0);
	return 0;
}

static int
t_real_freeze(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_limits lim = {64 * MIB, 8};
	enum cgroup_version v;
	char name[64];
	int r, status;

	if ((r = real_setup(&v)) != 0)
		return r;
	uint64_t *shared =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	volatile uint64_t *counter = shared;
	CHECK_EQ_INT(real_create("freeze", &lim, name, sizeof(name), &cg), 0);

	pid_t pid = spawn_in(cg, name, do_count, shared);
	CHECK(pid > 0);
	kids_add(&k, pid);
	for (int i = 0; i < 10000 && *counter < 3; i++)
		usleep(1000);
	CHECK(*counter >= 3);

	CHECK_EQ_INT(cgroup_freeze(cg, true), 0);
	uint64_t c1 = *counter;
	usleep(200 * 1000);
	CHECK_EQ_INT(*counter, c1);
	CHECK_EQ_INT(cgroup_freeze(cg, false), 0);
	for (int i = 0; i < 10000 && *counter == c1; i++)
		usleep(1000);
	CHECK(*counter > c1);

	/* Killing a frozen group: v2's cgroup.kill works while frozen, v1 thaws in its loop. */
	CHECK_EQ_INT(cgroup_freeze(cg, true), 0);
	CHECK_EQ_INT(cgroup_kill(cg), 0);
	CHECK_EQ_INT(kids_wait(&k, pid, 30, &status), 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* A group killed while frozen stays frozen on v2 (cgroup.freeze is still 1): new tasks
	 * would freeze at once. Thaw before reuse; destroy does not care. */
	CHECK_EQ_INT(cgroup_freeze(cg, false), 0);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), 0);
	return 0;
}

static int
t_real_kill_tree(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	_cleanup_close_ int info_r = -1, info_w = -1;
	struct cgroup_limits lim = {64 * MIB, 8};
	enum cgroup_version v;
	char name[64], path[PATH_MAX];
	int r, status, fds[2];

	if ((r = real_setup(&v)) != 0)
		return r;
	/* The grandchild is re-parented to us when its parent dies, so we can reap it. */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	info_r = fds[0];
	info_w = fds[1];
	CHECK_EQ_INT(real_create("tree", &lim, name, sizeof(name), &cg), 0);

	struct tree_arg a = {info_w};
	pid_t pid = spawn_in(cg, name, do_tree, &a);
	CHECK(pid > 0);
	kids_add(&k, pid);
	pid_t gpid = 0;
	CHECK(read(info_r, &gpid, sizeof(gpid)) == sizeof(gpid));
	kids_add(&k, gpid);
	/* Trap 13: the grandchild holds the pipe too; only killing the whole group closes it. */
	closep(&info_w);
	info_w = -1;
	CHECK_EQ_INT(cgroup_count_procs(cg), 2);

	CHECK_EQ_INT(cgroup_kill(cg), 0);
	char c;
	CHECK_EQ_INT(read(info_r, &c, 1), 0); /* EOF: every writer is gone */
	/* Zombies: both are dead but not reaped yet. Do they still count? */
	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char st[256] = "";
	(void)util_read_file_at(AT_FDCWD, path, st, sizeof(st));
	const char *state = strrchr(st, ')');
	int n = cgroup_count_procs(cg);
	printf("# after kill, before reaping: child state '%c', cgroup.procs lists %d\n",
	       state ? state[2] : '?', n);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(kids_wait(&k, pid, 30, &status), 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ_INT(kids_wait(&k, gpid, 30, &status), 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), 0);
	return 0;
}

static bool
group_dirs_gone(enum cgroup_version v, const char *name)
{
	char p[PATH_MAX];

	if (v == CGROUP_V2) {
		(void)snprintf(p, sizeof(p), REAL_ROOT "/gradebox/%s", name);
		return access(p, F_OK) < 0 && errno == ENOENT;
	}
	for (size_t i = 0; i < ELEMENTSOF(v1_ctrls); i++) {
		(void)snprintf(p, sizeof(p), REAL_ROOT "/%s/gradebox/%s", v1_ctrls[i], name);
		if (access(p, F_OK) == 0 || errno != ENOENT)
			return false;
	}
	return true;
}

static int
t_real_destroy(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup_limits lim = {64 * MIB, 8};
	enum cgroup_version v;
	char name[64];
	int r, status;

	if ((r = real_setup(&v)) != 0)
		return r;
	CHECK_EQ_INT(real_create("destroy", &lim, name, sizeof(name), &cg), 0);
	CHECK(!group_dirs_gone(v, name));
	if (v == CGROUP_V2)
		CHECK(cgroup_dirfd(cg) >= 0);

	pid_t pid = spawn_in(cg, name, do_sleep, NULL);
	CHECK(pid > 0);
	kids_add(&k, pid);
	CHECK_EQ_INT(cgroup_count_procs(cg), 1);
	uint64_t t0 = util_now_ns();
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), 0);
	printf("# destroy with one task: %.2f ms\n", (double)(util_now_ns() - t0) / 1e6);
	CHECK(group_dirs_gone(v, name));
	CHECK_EQ_INT(kids_wait(&k, pid, 30, &status), 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ_INT(cgroup_destroy(NULL), 0);
	return 0;
}

/* A supervisor that died left a group with a live task: create() of that name kills it. */
static int
t_real_leftover(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
	struct cgroup *old = NULL;
	struct cgroup_limits lim = {64 * MIB, 8};
	enum cgroup_version v;
	char name[64], err[256] = "";
	int r, status;

	if ((r = real_setup(&v)) != 0)
		return r;
	CHECK_EQ_INT(real_create("left", &lim, name, sizeof(name), &old), 0);
	pid_t pid = spawn_in(old, name, do_sleep, NULL);
	if (pid <= 0)
		(void)cgroup_destroy(old);
	CHECK(pid > 0);
	kids_add(&k, pid);

	/* `old` is forgotten, as by a supervisor that was killed: its fds point at a directory
	 * that is about to be removed, and it is only freed at the very end. */
	r = cgroup_create(REAL_ROOT, name, &lim, &cg, err, sizeof(err));
	if (r < 0)
		printf("# %s\n", err);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(kids_wait(&k, pid, 30, &status), 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ_INT(cgroup_count_procs(cg), 0);
	CHECK_EQ_INT(cgroup_destroy(TAKE_PTR(cg)), 0);
	CHECK(group_dirs_gone(v, name));
	/* Freeing the stale object must not crash or hang; its directories are gone. */
	r = cgroup_destroy(old);
	printf("# destroy of the superseded object: %d (%s)\n", r, r < 0 ? strerror(-r) : "ok");
	return 0;
}

static bool
is_named(const char *name, void *userdata)
{
	return strcmp(name, userdata) == 0;
}

static int
t_real_cleanup_stale(void)
{
	_cleanup_(kids_reap) struct kids k = {{0}};
	enum cgroup_version v;
	char name[64];
	int r, status, fds[2];

	if ((r = real_setup(&v)) != 0)
		return r;
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	test_name(name, sizeof(name), "stale");

	/* A "supervisor" that creates the group, starts a task in it and dies without cleaning
	 * up. Its task is re-parented to us (subreaper) and reported through the pipe. */
	fflush(stdout);
	pid_t sup = fork();
	CHECK(sup >= 0);
	if (sup == 0) {
		struct cgroup_limits lim = {64 * MIB, 8};
		struct cgroup *cg = NULL;
		char err[256];
		close(fds[0]);
		if (cgroup_create(REAL_ROOT, name, &lim, &cg, err, sizeof(err)) < 0)
			_exit(1);
		pid_t pid = spawn_in(cg, name, do_sleep, NULL);
		if (pid <= 0 || write(fds[1], &pid, sizeof(pid)) != sizeof(pid)) {
			(void)cgroup_destroy(cg);
			_exit(1);
		}
		_exit(0);
	}
	kids_add(&k, sup);
	close(fds[1]);
	pid_t pid = 0;
	ssize_t n = read(fds[0], &pid, sizeof(pid));
	close(fds[0]);
	CHECK_EQ_INT(kids_wait(&k, sup, 30, &status), 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(n == sizeof(pid) && pid > 0);
	kids_add(&k, pid);
	CHECK(!group_dirs_gone(v, name));

	/* Only what the callback calls stale goes: other engineers' boxes stay. */
	r = cgroup_cleanup_stale(REAL_ROOT, is_named, name);
	CHECK_EQ_INT(r, 1);
	CHECK(group_dirs_gone(v, name));
	CHECK_EQ_INT(kids_wait(&k, pid, 30, &status), 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ_INT(cgroup_cleanup_stale(REAL_ROOT, is_named, name), 0);
	return 0;
}

static bool
is_ours(const char *name, void *userdata)
{
	return strncmp(name, userdata, strlen(userdata)) == 0;
}

/* Last: nothing of this run may be left, even by a test that crashed; remove it if so. */
static int
t_real_no_leftovers(void)
{
	enum cgroup_version v;
	char prefix[64];
	int r;

	if ((r = real_setup(&v)) != 0)
		return r;
	(void)snprintf(prefix, sizeof(prefix), "box-test-%d-", (int)getppid());
	r = cgroup_cleanup_stale(REAL_ROOT, is_ours, prefix);
	if (r != 0)
		printf("# removed %d leftover group(s) of this run\n", r);
	CHECK_EQ_INT(r, 0);
	return 0;
}

TAP_MAIN(TAP_TEST(t_format_limit), TAP_TEST(t_weight_for_nice), TAP_TEST(t_detect_fake),
	 TAP_TEST(t_check_fake_v1), TAP_TEST(t_check_fake_v2), TAP_TEST(t_create_fake_v1),
	 TAP_TEST(t_create_fake_v2), TAP_TEST(t_stats_fake), TAP_TEST(t_real_oom),
	 TAP_TEST(t_real_pids), TAP_TEST(t_real_cpu), TAP_TEST(t_real_freeze),
	 TAP_TEST(t_real_kill_tree), TAP_TEST(t_real_destroy), TAP_TEST(t_real_leftover),
	 TAP_TEST(t_real_cleanup_stale), TAP_TEST(t_real_no_leftovers))
