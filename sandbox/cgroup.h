/* SPDX-License-Identifier: MIT */
/* One interface over cgroup v1 (one hierarchy per controller) and v2 (unified): create a
 * sandbox's group with limits, attach, read usage, freeze, kill and remove it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_version {
	CGROUP_V1 = 1,
	CGROUP_V2 = 2,
};

struct cgroup; /* opaque: one sandbox's group (v1: one dir per controller) */

struct cgroup_limits {
	uint64_t memory_bytes; /* 0: no limit (callers always set one) */
	uint64_t pids_max;     /* 0: no limit */
	/* v2: cpu.weight (1-10000), the group's share of CPU against its siblings; 0 leaves the
	 * kernel's default (100, the weight of nice 0). v1: unused, the sandbox joins no cpu
	 * hierarchy and its tasks' own niceness applies as it is. */
	unsigned cpu_weight;
};

struct cgroup_stats {
	uint64_t cpu_usage_ns;	    /* v1 cpuacct.usage, v2 cpu.stat usage_usec*1000 */
	uint64_t memory_peak_bytes; /* v1 memory.max_usage_in_bytes, v2 memory.peak (0 if absent) */
	uint64_t oom_kills;	    /* v1 memory.oom_control oom_kill, v2 memory.events oom_kill */
	uint64_t pids_max_hits;	    /* pids.events "max" */
};

/* Detects the layout under @root (normally "/sys/fs/cgroup"; unit tests pass a fake tree).
 * v2 when @root/cgroup.controllers exists, v1 when @root/memory/memory.limit_in_bytes does.
 * Returns 0 and stores the version, or -ENOENT (no usable cgroup filesystem). */
int cgroup_detect(const char *root, enum cgroup_version *ret);

/* Checks that every controller a sandbox needs is present (v1: memory, pids, cpuacct, freezer
 * hierarchies; v2: memory, pids, cpu in @root/cgroup.controllers). Returns 0, or -ENOTSUP and
 * writes a human-readable reason naming the missing controller into @reterr. */
int cgroup_check(const char *root, enum cgroup_version v, char *reterr, size_t errsize);

/* Creates the group "gradebox/@name" (v1: under each controller; v2: under @root, enabling the
 * controllers in the parents' cgroup.subtree_control) and applies @lim. A leftover group of
 * the same name (a killed supervisor's) is killed and removed first. On success stores a new
 * object in *ret (free with cgroup_destroy()). On failure removes what it created, returns
 * -errno and writes the reason into @reterr. */
int cgroup_create(const char *root, const char *name, const struct cgroup_limits *lim,
		  struct cgroup **ret, char *reterr, size_t errsize);

/* Moves @pid into the group (every hierarchy on v1). Returns 0 or -errno; on a v1 failure the
 * task may already sit in some hierarchies: kill it (cgroup_kill() covers every hierarchy). */
int cgroup_attach(struct cgroup *cg, pid_t pid);

/* Reads usage counters. Returns 0 or -errno. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret);

/* Freezes (true) or thaws (false) every task; freezing waits until the kernel reports the group
 * frozen. Returns 0, -ETIMEDOUT (not frozen within 2 s; left freezing) or -errno. On v1 each
 * call costs milliseconds (a freezer.state write flips a kernel static key). */
int cgroup_freeze(struct cgroup *cg, bool frozen);

/* SIGKILLs every task in the group and waits until it is empty (v2: cgroup.kill; v1: freeze,
 * kill each pid from cgroup.procs, thaw, repeat until empty). Works on a frozen group. Killed
 * tasks that are zombies (not yet reaped by their parent) no longer count, on v1 and v2: the
 * caller still has to waitpid() its child. Returns 0, -EBUSY (tasks left after 2 s) or -errno. */
int cgroup_kill(struct cgroup *cg);

/* Number of tasks still in the group, or -errno. */
int cgroup_count_procs(struct cgroup *cg);

/* Kills what is left, removes the directories, and the shared gradebox/ parents when no other
 * group is left in them, then frees @cg. Accepts NULL. Returns 0 or the first -errno (the
 * object is freed either way). */
int cgroup_destroy(struct cgroup *cg);

/* Removes every "gradebox/box-*" group for which @is_stale(name, userdata) returns true
 * (killing its tasks first). Returns the number removed or -errno. */
int cgroup_cleanup_stale(const char *root, bool (*is_stale)(const char *name, void *userdata),
			 void *userdata);

/* Just the CPU counter of cgroup_stats() (one read: the supervisor polls it while a program
 * runs). Returns 0 or -errno. */
int cgroup_cpu_usage(struct cgroup *cg, uint64_t *ret_ns);

enum cgroup_version cgroup_version(const struct cgroup *cg);

/* Opens the existing group "gradebox/@name" under @root without changing it: for tests on a
 * fake tree and for a supervisor that re-adopts a group. Every hierarchy (v1) and the stat
 * files must be present. On success stores a new object in *ret (free with cgroup_destroy(),
 * which also removes the group). Returns 0, -ENOENT or -errno, with a reason in @reterr. */
int cgroup_open(const char *root, const char *name, struct cgroup **ret, char *reterr,
		size_t errsize);

/* Writes @lim into the group's knobs (cgroup_create() calls it). v1: memory.limit_in_bytes,
 * memory.memsw.limit_in_bytes (if present), memory.swappiness 0 (best effort), pids.max.
 * v2: memory.max, cpu.weight (if set), memory.swap.max 0 (if present), pids.max. Returns 0 or
 * -errno with the knob named in @reterr. */
int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *lim, char *reterr,
		      size_t errsize);

/* v2: the leaf's directory fd (borrowed, valid until cgroup_destroy()), for
 * clone3(CLONE_INTO_CGROUP), which starts the child inside its limits with no attach window.
 * v1: -EOPNOTSUPP (attach with cgroup_attach()). */
int cgroup_dirfd(const struct cgroup *cg);

/* Absolute path of the group (v2: the leaf; v1: the memory hierarchy's directory). Borrowed. */
const char *cgroup_path(const struct cgroup *cg);

/* Cleanup helper: _cleanup_(cgroup_destroyp) struct cgroup *cg = NULL; */
void cgroup_destroyp(struct cgroup **cg);

/* The v2 cpu.weight that gives a group what nice @nice gives a task (the kernel's weight table,
 * 1024 for nice 0, scaled to 100): nice 0 -> 100, 10 -> 11, 19 -> 1, -20 -> 8668. On v2 a
 * task's niceness counts only inside its own group, so a sandbox that should yield (a grader's,
 * at nice 10) carries its weight on its group. @nice is clamped to -20..19. Pure. */
unsigned cgroup_weight_for_nice(int nice);

/* Formats a byte count for a cgroup knob ("max" for 0 on v2, "-1" on v1). Pure; unit-tested. */
const char *cgroup_format_limit(enum cgroup_version v, uint64_t value, char *buf, size_t size);
