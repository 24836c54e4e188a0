/* SPDX-License-Identifier: MIT */
/* One interface over cgroup v1 (memory, pids, cpuacct and freezer, each its own hierarchy) and
 * v2 (one unified tree): create a sandbox's group under "gradebox/", apply limits, attach, read
 * usage cheaply, freeze, kill every task and remove the group. Non-logging (debug only). */
#include "cgroup.h"

#include "log.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CGROUP_PARENT "gradebox"

/* Bounds on the waits. Generous because the same code runs in an emulated VM 7-40x slower,
 * and a wait that ends early only turns into an error, never into an unlimited sandbox. */
#define FREEZE_TIMEOUT_NS   (2000ULL * 1000 * 1000)
#define KILL_TIMEOUT_NS	    (2000ULL * 1000 * 1000)
#define KILL_FREEZE_TIMEOUT (200ULL * 1000 * 1000) /* per round of the v1 kill loop */
#define RMDIR_TIMEOUT_NS    (1000ULL * 1000 * 1000)

/* v1 hierarchies, in attach order: limits first, so that the task is never counted but
 * unlimited for longer than it must be. */
enum {
	V1_MEMORY,
	V1_PIDS,
	V1_CPUACCT,
	V1_FREEZER,
	V1_MAX,
};

static const char *const v1_controllers[V1_MAX] = {
	[V1_MEMORY] = "memory",
	[V1_PIDS] = "pids",
	[V1_CPUACCT] = "cpuacct",
	[V1_FREEZER] = "freezer",
};

/* A file only the controller's own hierarchy has at its root. pids and freezer have no knob
 * in a root group, so there we can only check that a cgroup filesystem is mounted; a missing
 * pids.max or freezer.state is then caught when the group is created. */
static const char *const v1_probe[V1_MAX] = {
	[V1_MEMORY] = "memory.limit_in_bytes",
	[V1_PIDS] = "cgroup.procs",
	[V1_CPUACCT] = "cpuacct.usage",
	[V1_FREEZER] = "cgroup.procs",
};

/* What a sandbox needs from v2: memory.max, pids.max, and cpu for cpu.stat's per-group
 * accounting (usage_usec exists without it, but cpu.max does not). */
static const char *const v2_controllers[] = {"memory", "pids", "cpu"};

#define V2_LEAF 0 /* v2 keeps its single directory in slot 0 of the v1 arrays */

struct cgroup {
	enum cgroup_version version;
	unsigned n_dirs;    /* v1: V1_MAX, v2: 1 */
	char *name;	    /* owned: "box-3" */
	char *path[V1_MAX]; /* owned: absolute directory per hierarchy; NULL when absent */
	int dir_fd[V1_MAX]; /* owned: O_DIRECTORY fd per hierarchy, -1 when absent */
	/* Counter files stay open so that cgroup_stats() is four preads and no allocation: the
	 * supervisor polls it every few milliseconds to enforce the CPU-time limit. */
	int cpu_fd;	    /* owned: cpuacct.usage / cpu.stat */
	int peak_fd;	    /* owned: memory.max_usage_in_bytes / memory.peak; -1 if absent */
	int oom_fd;	    /* owned: memory.oom_control / memory.events */
	int pids_events_fd; /* owned: pids.events */
	int events_fd;	    /* owned: v2 cgroup.events (frozen, populated); -1 on v1 */
};

static int set_err(char *reterr, size_t errsize, int r, const char *fmt, ...) _printf_(4, 5);
static int path_fmt(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);

/* Writes the reason for a failure into @reterr (may be NULL) and returns @r. */
static int
set_err(char *reterr, size_t errsize, int r, const char *fmt, ...)
{
	va_list ap;

	if (reterr && errsize > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(reterr, errsize, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* snprintf for paths: truncation is an error, never a shorter path to another file. */
static int
path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static void
dir_closep(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
			      .tv_nsec = (long)(ns % 1000000000ULL)};
	(void)nanosleep(&ts, NULL);
}

static bool
file_exists_at(int dirfd, const char *path)
{
	return faccessat(dirfd, path, F_OK, 0) == 0;
}

/* A group name becomes one path component under gradebox/: no separators, no dot names, and
 * short enough that every knob path fits PATH_MAX. */
static bool
name_is_valid(const char *name)
{
	if (!name || !*name || strlen(name) > 128)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\n' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

/* Reads a whole (small) counter file from offset 0. pread keeps the fd reusable: kernfs
 * regenerates the content of a seq_file read at offset 0. */
static int
pread_str(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* Parses a number that ends at a newline, a space or the end. */
static int
parse_u64_field(const char *p, uint64_t *ret)
{
	char num[32];
	size_t len = strcspn(p, " \n");

	if (len == 0 || len >= sizeof(num))
		return -EBADMSG;
	memcpy(num, p, len);
	num[len] = 0;
	return util_parse_u64(num, ret) < 0 ? -EBADMSG : 0;
}

/* Finds the line "@key N" in a flat-keyed file (memory.events, cpu.stat, pids.events,
 * memory.oom_control) and parses N. The key must match whole: "oom_kill" is neither
 * "oom_kill_disable" nor "oom_group_kill". Returns 0, -ENOENT (no such key) or -EBADMSG. */
static int
parse_keyed(const char *buf, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return parse_u64_field(p + klen + 1, ret);
	return -ENOENT;
}

/* True when the whitespace-separated list @list (cgroup.controllers) holds the word @word. */
static bool
list_has_word(const char *list, const char *word)
{
	size_t wlen = strlen(word);

	for (const char *p = list; *p;) {
		p += strspn(p, " \n");
		size_t len = strcspn(p, " \n");
		if (len == wlen && strncmp(p, word, wlen) == 0)
			return true;
		p += len;
	}
	return false;
}

const char *
cgroup_format_limit(enum cgroup_version v, uint64_t value, char *buf, size_t size)
{
	if (value == 0)
		(void)snprintf(buf, size, "%s", v == CGROUP_V2 ? "max" : "-1");
	else
		(void)snprintf(buf, size, "%" PRIu64, value);
	return buf;
}

int
cgroup_detect(const char *root, enum cgroup_version *ret)
{
	char p[PATH_MAX];
	int r;

	/* Only the root given counts: a v1 host's /sys/fs/cgroup/unified is a cgroup2 mount too
	 * (holding no controllers), but the sandbox's limits live in the v1 hierarchies. */
	r = path_fmt(p, sizeof(p), "%s/cgroup.controllers", root);
	if (r < 0)
		return r;
	if (access(p, F_OK) == 0) {
		*ret = CGROUP_V2;
		return 0;
	}
	r = path_fmt(p, sizeof(p), "%s/memory/memory.limit_in_bytes", root);
	if (r < 0)
		return r;
	if (access(p, F_OK) == 0) {
		*ret = CGROUP_V1;
		return 0;
	}
	return -ENOENT;
}

int
cgroup_check(const char *root, enum cgroup_version v, char *reterr, size_t errsize)
{
	char p[PATH_MAX];
	char buf[512];
	int r;

	/* The sandbox must never run without a limit: any missing controller is a refusal, not a
	 * degraded mode. */
	if (v == CGROUP_V1) {
		for (unsigned i = 0; i < V1_MAX; i++) {
			r = path_fmt(p, sizeof(p), "%s/%s/%s", root, v1_controllers[i],
				     v1_probe[i]);
			if (r < 0)
				return set_err(reterr, errsize, r, "cgroup root path too long: %s",
					       root);
			if (access(p, F_OK) < 0)
				return set_err(reterr, errsize, -ENOTSUP,
					       "cgroup v1 controller '%s' is not mounted at %s/%s",
					       v1_controllers[i], root, v1_controllers[i]);
		}
		return 0;
	}

	r = path_fmt(p, sizeof(p), "%s/cgroup.controllers", root);
	if (r < 0)
		return set_err(reterr, errsize, r, "cgroup root path too long: %s", root);
	ssize_t n = util_read_file_at(AT_FDCWD, p, buf, sizeof(buf));
	if (n < 0)
		return set_err(reterr, errsize, (int)n, "cannot read %s: %s", p, strerror((int)-n));
	for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++)
		if (!list_has_word(buf, v2_controllers[i]))
			return set_err(reterr, errsize, -ENOTSUP,
				       "cgroup v2 controller '%s' is not available in %s "
				       "(it lists: '%.*s')",
				       v2_controllers[i], p, (int)strcspn(buf, "\n"), buf);
	return 0;
}

/* v2: enables memory, pids and cpu for the children of @dir (root, then root/gradebox). Only
 * the missing ones are written: rewriting an enabled controller is harmless on a real kernel,
 * but a write that must not happen (a delegated parent we may not touch) then never does. */
static int
v2_enable_controllers(const char *dir, char *reterr, size_t errsize)
{
	char p[PATH_MAX], avail[512], enabled[512], req[64] = "";
	int r;

	r = path_fmt(p, sizeof(p), "%s/cgroup.controllers", dir);
	if (r < 0)
		return set_err(reterr, errsize, r, "cgroup path too long: %s", dir);
	ssize_t n = util_read_file_at(AT_FDCWD, p, avail, sizeof(avail));
	if (n < 0)
		return set_err(reterr, errsize, (int)n, "cannot read %s: %s", p, strerror((int)-n));
	r = path_fmt(p, sizeof(p), "%s/cgroup.subtree_control", dir);
	if (r < 0)
		return set_err(reterr, errsize, r, "cgroup path too long: %s", dir);
	n = util_read_file_at(AT_FDCWD, p, enabled, sizeof(enabled));
	if (n < 0)
		return set_err(reterr, errsize, (int)n, "cannot read %s: %s", p, strerror((int)-n));

	for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++) {
		const char *c = v2_controllers[i];
		if (!list_has_word(avail, c))
			return set_err(reterr, errsize, -ENOTSUP,
				       "cgroup v2 controller '%s' is not available in "
				       "%s/cgroup.controllers",
				       c, dir);
		if (list_has_word(enabled, c))
			continue;
		size_t len = strlen(req);
		(void)snprintf(req + len, sizeof(req) - len, "%s+%s", len ? " " : "", c);
	}
	if (!*req)
		return 0;
	r = util_write_file_at(AT_FDCWD, p, req);
	if (r < 0)
		return set_err(reterr, errsize, r, "cannot write '%s' to %s: %s", req, p,
			       strerror(-r));
	return 0;
}

static struct cgroup *
group_new(enum cgroup_version v, const char *name)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));

	if (!cg)
		return NULL;
	cg->version = v;
	cg->n_dirs = v == CGROUP_V1 ? V1_MAX : 1;
	for (unsigned i = 0; i < V1_MAX; i++)
		cg->dir_fd[i] = -1;
	cg->cpu_fd = cg->peak_fd = cg->oom_fd = cg->pids_events_fd = cg->events_fd = -1;
	cg->name = strdup(name);
	if (!cg->name) {
		free(cg);
		return NULL;
	}
	return cg;
}

static struct cgroup *
group_free(struct cgroup *cg)
{
	if (!cg)
		return NULL;
	for (unsigned i = 0; i < V1_MAX; i++) {
		closep(&cg->dir_fd[i]);
		free(cg->path[i]);
	}
	closep(&cg->cpu_fd);
	closep(&cg->peak_fd);
	closep(&cg->oom_fd);
	closep(&cg->pids_events_fd);
	closep(&cg->events_fd);
	free(cg->name);
	free(cg);
	return NULL;
}

static void
group_freep(struct cgroup **cg)
{
	*cg = group_free(*cg);
}

/* Fills in the paths of "gradebox/@name" and opens the directories that exist. With
 * @partial (removing a leftover, which a crash may have left half-created) missing
 * hierarchies are skipped; -ENOENT only when none exists. */
static int
group_open_dirs(const char *root, enum cgroup_version v, const char *name, bool partial,
		struct cgroup **ret, char *reterr, size_t errsize)
{
	_cleanup_(group_freep) struct cgroup *cg = NULL;
	char p[PATH_MAX];
	unsigned found = 0;
	int r;

	if (!name_is_valid(name))
		return set_err(reterr, errsize, -EINVAL, "invalid cgroup name");
	cg = group_new(v, name);
	if (!cg)
		return set_err(reterr, errsize, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < cg->n_dirs; i++) {
		if (v == CGROUP_V1)
			r = path_fmt(p, sizeof(p), "%s/%s/" CGROUP_PARENT "/%s", root,
				     v1_controllers[i], name);
		else
			r = path_fmt(p, sizeof(p), "%s/" CGROUP_PARENT "/%s", root, name);
		if (r < 0)
			return set_err(reterr, errsize, r, "cgroup path too long under %s", root);
		cg->path[i] = strdup(p);
		if (!cg->path[i])
			return set_err(reterr, errsize, -ENOMEM, "out of memory");
		cg->dir_fd[i] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg->dir_fd[i] >= 0) {
			found++;
			continue;
		}
		r = -errno;
		if (r != -ENOENT || !partial)
			return set_err(reterr, errsize, r, "cannot open %s: %s", p, strerror(-r));
	}
	if (found == 0)
		return set_err(reterr, errsize, -ENOENT, "no cgroup %s under %s", name, root);
	*ret = TAKE_PTR(cg);
	return 0;
}

static int
open_knob(struct cgroup *cg, unsigned idx, const char *file, bool optional, int *ret_fd,
	  char *reterr, size_t errsize)
{
	int fd = openat(cg->dir_fd[idx], file, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		int r = -errno;
		if (optional && r == -ENOENT)
			return 0;
		return set_err(reterr, errsize, r, "cannot open %s/%s: %s", cg->path[idx], file,
			       strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

/* Opens the counter files cgroup_stats() preads, and v2's cgroup.events for the waits. */
static int
group_open_stats(struct cgroup *cg, char *reterr, size_t errsize)
{
	int r;

	if (cg->version == CGROUP_V1) {
		r = open_knob(cg, V1_CPUACCT, "cpuacct.usage", false, &cg->cpu_fd, reterr, errsize);
		if (r >= 0)
			r = open_knob(cg, V1_MEMORY, "memory.max_usage_in_bytes", true,
				      &cg->peak_fd, reterr, errsize);
		/* Not memory.failcnt: with the swap limit equal to the memory limit it stays 0
		 * on an OOM kill (KERNEL-NOTES trap 12). */
		if (r >= 0)
			r = open_knob(cg, V1_MEMORY, "memory.oom_control", false, &cg->oom_fd,
				      reterr, errsize);
		if (r >= 0)
			r = open_knob(cg, V1_PIDS, "pids.events", false, &cg->pids_events_fd,
				      reterr, errsize);
		return r;
	}
	r = open_knob(cg, V2_LEAF, "cpu.stat", false, &cg->cpu_fd, reterr, errsize);
	/* memory.peak appeared in Linux 5.19; without it the peak reads 0. */
	if (r >= 0)
		r = open_knob(cg, V2_LEAF, "memory.peak", true, &cg->peak_fd, reterr, errsize);
	if (r >= 0)
		r = open_knob(cg, V2_LEAF, "memory.events", false, &cg->oom_fd, reterr, errsize);
	if (r >= 0)
		r = open_knob(cg, V2_LEAF, "pids.events", false, &cg->pids_events_fd, reterr,
			      errsize);
	if (r >= 0)
		r = open_knob(cg, V2_LEAF, "cgroup.events", false, &cg->events_fd, reterr, errsize);
	return r;
}

int
cgroup_open(const char *root, const char *name, struct cgroup **ret, char *reterr, size_t errsize)
{
	_cleanup_(group_freep) struct cgroup *cg = NULL;
	enum cgroup_version v;
	int r;

	r = cgroup_detect(root, &v);
	if (r < 0)
		return set_err(reterr, errsize, r, "no cgroup filesystem at %s", root);
	r = group_open_dirs(root, v, name, false, &cg, reterr, errsize);
	if (r < 0)
		return r;
	r = group_open_stats(cg, reterr, errsize);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cg);
	return 0;
}

static int
write_knob(struct cgroup *cg, unsigned idx, const char *file, const char *value, char *reterr,
	   size_t errsize)
{
	int r = util_write_file_at(cg->dir_fd[idx], file, value);

	if (r < 0)
		return set_err(reterr, errsize, r, "cannot write '%s' to %s/%s: %s", value,
			       cg->path[idx], file, strerror(-r));
	return 0;
}

unsigned
cgroup_weight_for_nice(int nice)
{
	/* kernel/sched/core.c sched_prio_to_weight[], nice -20 to 19. */
	static const unsigned weight[40] = {
		88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
		9548,  7620,  6100,  4904,  3906,  3121,  2501,	 1991,	1586,  1277,
		1024,  820,   655,   526,   423,   335,	  272,	 215,	172,   137,
		110,   87,    70,    56,    45,	   36,	  29,	 23,	18,    15,
	};
	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	unsigned w = (weight[nice + 20] * 100 + 512) / 1024;
	return w < 1 ? 1 : w > 10000 ? 10000 : w;
}

int
cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *lim, char *reterr, size_t errsize)
{
	char mem[32], pids[32];
	int r;

	(void)cgroup_format_limit(cg->version, lim->memory_bytes, mem, sizeof(mem));
	/* pids.max takes "max" on v1 too: the pids controller has one interface on both. */
	(void)cgroup_format_limit(CGROUP_V2, lim->pids_max, pids, sizeof(pids));

	if (cg->version == CGROUP_V1) {
		/* The memory limit first: the kernel refuses a memsw limit below it. */
		r = write_knob(cg, V1_MEMORY, "memory.limit_in_bytes", mem, reterr, errsize);
		if (r < 0)
			return r;
		/* memsw = mem leaves no room for swap, so swapping out cannot be used to exceed
		 * the limit. The file is absent when swap accounting is off (swapaccount=0). */
		if (file_exists_at(cg->dir_fd[V1_MEMORY], "memory.memsw.limit_in_bytes")) {
			r = write_knob(cg, V1_MEMORY, "memory.memsw.limit_in_bytes", mem, reterr,
				       errsize);
			if (r < 0)
				return r;
		}
		/* Best effort: with memsw the limit holds anyway; this only avoids swap I/O.
		 * The kernel refuses it in some hierarchies (EINVAL), which is fine. */
		r = util_write_file_at(cg->dir_fd[V1_MEMORY], "memory.swappiness", "0");
		if (r < 0)
			log_debug("cgroup %s: memory.swappiness not set, ignoring: %s", cg->name,
				  strerror(-r));
		return write_knob(cg, V1_PIDS, "pids.max", pids, reterr, errsize);
	}

	r = write_knob(cg, V2_LEAF, "memory.max", mem, reterr, errsize);
	if (r < 0)
		return r;
	if (lim->cpu_weight) {
		char w[16];
		snprintf(w, sizeof(w), "%u", lim->cpu_weight);
		r = write_knob(cg, V2_LEAF, "cpu.weight", w, reterr, errsize);
		if (r < 0)
			return r;
	}
	/* No swap at all, for the same reason as memsw on v1. Absent without CONFIG_SWAP or
	 * with swap accounting off. */
	if (file_exists_at(cg->dir_fd[V2_LEAF], "memory.swap.max")) {
		r = write_knob(cg, V2_LEAF, "memory.swap.max", "0", reterr, errsize);
		if (r < 0)
			return r;
	}
	return write_knob(cg, V2_LEAF, "pids.max", pids, reterr, errsize);
}

/* Opens hierarchy @i's cgroup.procs for reading. Returns 0 with *ret (NULL when the directory
 * is not open), or -errno. */
static int
open_procs(struct cgroup *cg, unsigned i, FILE **ret)
{
	*ret = NULL;
	if (cg->dir_fd[i] < 0)
		return 0;
	int fd = openat(cg->dir_fd[i], "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!(*ret = fdopen(fd, "re"))) {
		int r = -errno;
		(void)close(fd);
		return r;
	}
	return 0;
}

/* Calls SIGKILL on every pid listed in the group's cgroup.procs (each hierarchy on v1: after a
 * half-done attach a task may sit in only some of them). Returns the number listed or -errno. */
static int
kill_listed(struct cgroup *cg)
{
	int n = 0;

	for (unsigned i = 0; i < cg->n_dirs; i++) {
		_cleanup_fclose_ FILE *f = NULL;
		int r = open_procs(cg, i, &f);
		if (r == -ENOENT || r == -ENODEV)
			continue; /* removed under us: nothing left to kill there */
		if (r < 0)
			return r;
		if (!f)
			continue;
		int pid;
		while (fscanf(f, "%d", &pid) == 1) {
			if (pid <= 0)
				continue;
			n++;
			if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
				return -errno;
		}
	}
	return n;
}

int
cgroup_count_procs(struct cgroup *cg)
{
	int max = 0;

	/* On v1 the hierarchies can disagree after a half-done attach: report the largest. */
	for (unsigned i = 0; i < cg->n_dirs; i++) {
		_cleanup_fclose_ FILE *f = NULL;
		int r = open_procs(cg, i, &f);
		if (r < 0)
			return r;
		if (!f)
			continue;
		int pid, n = 0;
		while (fscanf(f, "%d", &pid) == 1)
			n++;
		if (n > max)
			max = n;
	}
	return max;
}

/* Reads v2's cgroup.events and tells whether "@key @want" holds. >0 yes, 0 no, <0 -errno. */
static int
v2_events_is(struct cgroup *cg, const char *key, uint64_t want)
{
	char buf[256];
	uint64_t v;
	int r;

	r = pread_str(cg->events_fd, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = parse_keyed(buf, key, &v);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	return v == want;
}

/* Waits until cgroup.events says "@key @want". kernfs wakes a POLLPRI poller whenever the file
 * changes, so this sleeps until the change, not in a busy loop; the 10 ms cap only guards
 * against a missed wake-up (and makes a regular file in a fake tree work). */
static int
v2_wait_events(struct cgroup *cg, const char *key, uint64_t want, uint64_t timeout_ns)
{
	uint64_t deadline = util_now_ns() + timeout_ns;

	for (;;) {
		int r = v2_events_is(cg, key, want);
		if (r != 0)
			return r < 0 ? r : 0;
		uint64_t now = util_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t left_ms = (deadline - now) / 1000000 + 1;
		struct pollfd pfd = {.fd = cg->events_fd, .events = POLLPRI};
		if (poll(&pfd, 1, left_ms < 10 ? (int)left_ms : 10) < 0 && errno != EINTR)
			return -errno;
	}
}

/* v1: >0 when freezer.state reads @state. Reading it is also what moves FREEZING on to
 * FROZEN: the legacy freezer updates its state lazily, on read. */
static int
v1_freezer_is(struct cgroup *cg, const char *state)
{
	char buf[32];

	ssize_t n = util_read_file_at(cg->dir_fd[V1_FREEZER], "freezer.state", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = 0;
	return strcmp(buf, state) == 0;
}

static int
freeze(struct cgroup *cg, bool frozen, uint64_t timeout_ns)
{
	int r;

	if (cg->version == CGROUP_V2) {
		r = util_write_file_at(cg->dir_fd[V2_LEAF], "cgroup.freeze", frozen ? "1" : "0");
		if (r < 0)
			return r;
		/* Thawing is asynchronous too, but nothing depends on it having finished. */
		if (!frozen)
			return 0;
		return v2_wait_events(cg, "frozen", 1, timeout_ns);
	}

	if (cg->dir_fd[V1_FREEZER] < 0)
		return -ENOENT;
	r = util_write_file_at(cg->dir_fd[V1_FREEZER], "freezer.state",
			       frozen ? "FROZEN" : "THAWED");
	if (r < 0 || !frozen)
		return r;
	uint64_t deadline = util_now_ns() + timeout_ns;
	for (;;) {
		r = v1_freezer_is(cg, "FROZEN");
		if (r != 0)
			return r < 0 ? r : 0;
		if (util_now_ns() >= deadline)
			return -ETIMEDOUT;
		sleep_ns(1000 * 1000);
	}
}

int
cgroup_freeze(struct cgroup *cg, bool frozen)
{
	/* On a timeout the group is left FREEZING (v1) or freezing (v2): the caller's next step
	 * is normally cgroup_kill(), which copes with either. */
	return freeze(cg, frozen, FREEZE_TIMEOUT_NS);
}

/* Freeze, kill what cgroup.procs lists, thaw, until a round finds the group empty. Freezing
 * first is what makes this safe: a frozen task cannot fork a new one between our read and our
 * kill, and cannot exit and have its pid reused by an unrelated process before the kill
 * lands. A frozen v1 task cannot act on SIGKILL (it sits in D state, KERNEL-NOTES trap 12),
 * hence the thaw in every round. */
static int
kill_loop(struct cgroup *cg)
{
	uint64_t deadline = util_now_ns() + KILL_TIMEOUT_NS;
	bool can_freeze = cg->version == CGROUP_V2 || cg->dir_fd[V1_FREEZER] >= 0;

	for (;;) {
		/* Each freezer.state write costs milliseconds on v1 (measured 5 ms on 6.18: it
		 * flips a static key), so an empty group, the common case at destroy time, is
		 * not frozen at all. */
		int left = cgroup_count_procs(cg);
		if (left == 0)
			return 0;
		if (can_freeze) {
			int r = freeze(cg, true, KILL_FREEZE_TIMEOUT);
			/* A freeze that does not complete (a task stuck in the kernel) must not
			 * stop the kill: kill anyway, and let the next round see what is left. */
			if (r < 0 && r != -ETIMEDOUT)
				log_debug("cgroup %s: freeze before kill failed, ignoring: %s",
					  cg->name, strerror(-r));
		}
		int n = kill_listed(cg);
		if (can_freeze)
			(void)freeze(cg, false, 0);
		if (n < 0)
			return n;
		if (n == 0)
			return 0;
		if (util_now_ns() >= deadline)
			return -EBUSY;
		sleep_ns(1000 * 1000);
	}
}

int
cgroup_kill(struct cgroup *cg)
{
	if (cg->version == CGROUP_V2) {
		/* cgroup.kill (Linux 5.14) kills every task atomically, frozen ones included, and
		 * new forks cannot escape it. */
		int r = util_write_file_at(cg->dir_fd[V2_LEAF], "cgroup.kill", "1");
		if (r == -ENOENT)
			return kill_loop(cg); /* older kernel */
		if (r < 0)
			return r;
		/* "populated 0" comes once every task has gone through exit; zombies waiting for
		 * their parent's wait() no longer count. */
		r = v2_wait_events(cg, "populated", 0, KILL_TIMEOUT_NS);
		return r == -ETIMEDOUT ? -EBUSY : r;
	}
	return kill_loop(cg);
}

/* rmdir of every hierarchy. EBUSY while the last tasks finish exiting: retried briefly. */
static int
group_rmdir(struct cgroup *cg)
{
	int ret = 0;

	for (unsigned i = 0; i < cg->n_dirs; i++) {
		if (!cg->path[i])
			continue;
		uint64_t deadline = util_now_ns() + RMDIR_TIMEOUT_NS;
		for (;;) {
			if (rmdir(cg->path[i]) == 0 || errno == ENOENT)
				break;
			int r = -errno;
			if (r != -EBUSY || util_now_ns() >= deadline) {
				if (ret == 0)
					ret = r;
				break;
			}
			sleep_ns(1000 * 1000);
		}
	}
	return ret;
}

/* Removes the shared gradebox/ parents once the last sandbox is gone, so an idle host keeps
 * no gradebox state. While another sandbox's group lives there, rmdir fails with EBUSY (or
 * ENOTEMPTY), which is the answer we want; cgroup_create() retries if it loses this race. */
static void
group_rmdir_parents(struct cgroup *cg)
{
	for (unsigned i = 0; i < cg->n_dirs; i++) {
		char parent[PATH_MAX];
		if (!cg->path[i] || strlen(cg->path[i]) >= sizeof(parent))
			continue;
		strcpy(parent, cg->path[i]);
		char *slash = strrchr(parent, '/');
		if (!slash)
			continue;
		*slash = 0;
		if (rmdir(parent) < 0 && errno != EBUSY && errno != ENOTEMPTY && errno != ENOENT)
			log_debug("cannot remove %s, ignoring: %m", parent);
	}
}

int
cgroup_destroy(struct cgroup *cg)
{
	int r = 0;

	if (!cg)
		return 0;
	r = cgroup_kill(cg);
	int k = group_rmdir(cg);
	if (r == 0)
		r = k;
	if (k == 0)
		group_rmdir_parents(cg);
	group_free(cg);
	return r;
}

void
cgroup_destroyp(struct cgroup **cg)
{
	if (*cg)
		(void)cgroup_destroy(*cg);
	*cg = NULL;
}

/* Kills and removes "gradebox/@name" if any part of it exists. 0 when it is gone (or never
 * was), -errno otherwise. */
static int
remove_existing(const char *root, enum cgroup_version v, const char *name, char *reterr,
		size_t errsize)
{
	_cleanup_(group_freep) struct cgroup *cg = NULL;
	int r;

	r = group_open_dirs(root, v, name, true, &cg, reterr, errsize);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* v2: cgroup.kill and the waits need cgroup.events; opened here, not in
	 * group_open_dirs(), because a leftover need not have the counter files. */
	if (v == CGROUP_V2 && cg->dir_fd[V2_LEAF] >= 0) {
		r = open_knob(cg, V2_LEAF, "cgroup.events", false, &cg->events_fd, reterr, errsize);
		if (r < 0)
			return r;
	}
	r = cgroup_kill(cg);
	if (r < 0)
		return set_err(reterr, errsize, r,
			       "cannot kill the tasks of leftover cgroup %s: %s",
			       cg->path[0] ? cg->path[0] : name, strerror(-r));
	r = group_rmdir(cg);
	if (r < 0)
		return set_err(reterr, errsize, r, "cannot remove leftover cgroup %s: %s",
			       cg->path[0] ? cg->path[0] : name, strerror(-r));
	return 0;
}

/* mkdir of the gradebox/ parents (v2: with the controllers enabled) and of the group; sets
 * made[i] for each directory of the group it created. */
static int
create_dirs(const char *root, enum cgroup_version v, const char *name, bool made[V1_MAX],
	    char *reterr, size_t errsize)
{
	char p[PATH_MAX];
	int r;

	if (v == CGROUP_V2) {
		r = v2_enable_controllers(root, reterr, errsize);
		if (r < 0)
			return r;
		r = path_fmt(p, sizeof(p), "%s/" CGROUP_PARENT, root);
		if (r < 0)
			return set_err(reterr, errsize, r, "cgroup root path too long: %s", root);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return set_err(reterr, errsize, -errno, "cannot create %s: %m", p);
		r = v2_enable_controllers(p, reterr, errsize);
		if (r < 0)
			return r;
		r = path_fmt(p, sizeof(p), "%s/" CGROUP_PARENT "/%s", root, name);
		if (r < 0)
			return set_err(reterr, errsize, r, "cgroup name too long");
		if (mkdir(p, 0755) < 0)
			return set_err(reterr, errsize, -errno, "cannot create %s: %m", p);
		made[0] = true;
	} else {
		for (unsigned i = 0; i < V1_MAX; i++) {
			r = path_fmt(p, sizeof(p), "%s/%s/" CGROUP_PARENT, root, v1_controllers[i]);
			if (r < 0)
				return set_err(reterr, errsize, r, "cgroup root path too long: %s",
					       root);
			r = util_mkdir_p(p, 0755);
			if (r < 0)
				return set_err(reterr, errsize, r, "cannot create %s: %s", p,
					       strerror(-r));
			r = path_fmt(p, sizeof(p), "%s/%s/" CGROUP_PARENT "/%s", root,
				     v1_controllers[i], name);
			if (r < 0)
				return set_err(reterr, errsize, r, "cgroup name too long");
			if (mkdir(p, 0755) < 0)
				return set_err(reterr, errsize, -errno, "cannot create %s: %m", p);
			made[i] = true;
		}
	}
	return 0;
}

int
cgroup_create(const char *root, const char *name, const struct cgroup_limits *lim,
	      struct cgroup **ret, char *reterr, size_t errsize)
{
	_cleanup_(group_freep) struct cgroup *cg = NULL;
	bool made[V1_MAX] = {false};
	enum cgroup_version v;
	char p[PATH_MAX];
	int r;

	if (!name_is_valid(name))
		return set_err(reterr, errsize, -EINVAL, "invalid cgroup name");
	r = cgroup_detect(root, &v);
	if (r < 0)
		return set_err(reterr, errsize, r, "no cgroup v1 or v2 filesystem at %s", root);
	r = cgroup_check(root, v, reterr, errsize);
	if (r < 0)
		return r;

	/* A group of this name that already exists was left by a supervisor that died; its tasks
	 * may still run. They go before the name is reused, or they would share our limits. */
	r = remove_existing(root, v, name, reterr, errsize);
	if (r < 0)
		return r;

	/* Another sandbox's cgroup_destroy() may remove an empty gradebox/ parent between our
	 * mkdir of it and of our group (ENOENT): create both again. */
	for (int attempt = 0;; attempt++) {
		r = create_dirs(root, v, name, made, reterr, errsize);
		if (r != -ENOENT || attempt >= 10)
			break;
	}
	if (r < 0)
		goto fail;

	r = group_open_dirs(root, v, name, false, &cg, reterr, errsize);
	if (r < 0)
		goto fail;
	r = cgroup_set_limits(cg, lim, reterr, errsize);
	if (r < 0)
		goto fail;
	r = group_open_stats(cg, reterr, errsize);
	if (r < 0)
		goto fail;
	*ret = TAKE_PTR(cg);
	return 0;

fail:
	/* Nothing was attached yet: the directories we made are empty and go with rmdir. The
	 * gradebox/ parents may be shared with running sandboxes; the last cgroup_destroy()
	 * removes them. */
	for (unsigned i = 0; i < V1_MAX; i++) {
		if (!made[i])
			continue;
		if (v == CGROUP_V1)
			(void)path_fmt(p, sizeof(p), "%s/%s/" CGROUP_PARENT "/%s", root,
				       v1_controllers[i], name);
		else
			(void)path_fmt(p, sizeof(p), "%s/" CGROUP_PARENT "/%s", root, name);
		if (rmdir(p) < 0)
			log_debug("cannot remove %s after a failed create, ignoring: %m", p);
	}
	return r;
}

int
cgroup_attach(struct cgroup *cg, pid_t pid)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (unsigned i = 0; i < cg->n_dirs; i++) {
		if (cg->dir_fd[i] < 0)
			return -ENOENT;
		int r = util_write_file_at(cg->dir_fd[i], "cgroup.procs", buf);
		if (r < 0)
			return r;
	}
	return 0;
}

int
cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret)
{
	/* 512 bytes holds every file read here (cpu.stat, the longest, is about 250). */
	char buf[512];
	struct cgroup_stats s = {0};
	int r;

	r = pread_str(cg->cpu_fd, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (cg->version == CGROUP_V1) {
		r = parse_u64_field(buf, &s.cpu_usage_ns);
	} else {
		uint64_t usec;
		r = parse_keyed(buf, "usage_usec", &usec);
		s.cpu_usage_ns = usec * 1000;
	}
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;

	if (cg->peak_fd >= 0) {
		r = pread_str(cg->peak_fd, buf, sizeof(buf));
		if (r < 0)
			return r;
		r = parse_u64_field(buf, &s.memory_peak_bytes);
		if (r < 0)
			return r;
	}

	/* The oom_kill line was added in Linux 4.13 (v1 and v2); older kernels are refused
	 * rather than reporting 0 kills for a job that was killed. */
	r = pread_str(cg->oom_fd, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = parse_keyed(buf, "oom_kill", &s.oom_kills);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;

	r = pread_str(cg->pids_events_fd, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = parse_keyed(buf, "max", &s.pids_max_hits);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;

	*ret = s;
	return 0;
}

int
cgroup_cpu_usage(struct cgroup *cg, uint64_t *ret_ns)
{
	char buf[512];
	uint64_t v;
	int r = pread_str(cg->cpu_fd, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (cg->version == CGROUP_V1)
		r = parse_u64_field(buf, &v);
	else {
		r = parse_keyed(buf, "usage_usec", &v);
		v *= 1000;
	}
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	*ret_ns = v;
	return 0;
}

enum cgroup_version
cgroup_version(const struct cgroup *cg)
{
	return cg->version;
}

int
cgroup_dirfd(const struct cgroup *cg)
{
	return cg->version == CGROUP_V2 ? cg->dir_fd[V2_LEAF] : -EOPNOTSUPP;
}

const char *
cgroup_path(const struct cgroup *cg)
{
	return cg->path[0]; /* V1_MEMORY and V2_LEAF are both slot 0 */
}

int
cgroup_cleanup_stale(const char *root, bool (*is_stale)(const char *name, void *userdata),
		     void *userdata)
{
	enum cgroup_version v;
	char p[PATH_MAX];
	int r, removed = 0;
	/* Names already asked about: on v1 the same group shows up once per hierarchy. */
	_cleanup_free_ char **seen = NULL;
	size_t n_seen = 0, cap = 0;

	r = cgroup_detect(root, &v);
	if (r < 0)
		return r;

	for (unsigned h = 0; h < (v == CGROUP_V1 ? V1_MAX : 1u); h++) {
		if (v == CGROUP_V1)
			r = path_fmt(p, sizeof(p), "%s/%s/" CGROUP_PARENT, root, v1_controllers[h]);
		else
			r = path_fmt(p, sizeof(p), "%s/" CGROUP_PARENT, root);
		if (r < 0)
			goto out;
		_cleanup_(dir_closep) DIR *d = opendir(p);
		if (!d) {
			if (errno == ENOENT)
				continue;
			r = -errno;
			goto out;
		}
		struct dirent *de;
		while ((errno = 0, de = readdir(d))) {
			if (de->d_type != DT_DIR || strncmp(de->d_name, "box-", 4) != 0)
				continue;
			bool dup = false;
			for (size_t i = 0; i < n_seen && !dup; i++)
				dup = strcmp(seen[i], de->d_name) == 0;
			if (dup)
				continue;
			if (n_seen == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				char **ns = realloc(seen, ncap * sizeof(*ns));
				if (!ns) {
					r = -ENOMEM;
					goto out;
				}
				seen = ns;
				cap = ncap;
			}
			seen[n_seen] = strdup(de->d_name);
			if (!seen[n_seen]) {
				r = -ENOMEM;
				goto out;
			}
			n_seen++;
			if (!is_stale(de->d_name, userdata))
				continue;
			r = remove_existing(root, v, de->d_name, NULL, 0);
			if (r < 0)
				goto out;
			removed++;
		}
		if (errno != 0) {
			r = -errno;
			goto out;
		}
	}
	r = removed;
out:
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	return r;
}
