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
};

struct cgroup_stats {
	uint64_t cpu_usage_ns;      /* v1 cpuacct.usage, v2 cpu.stat usage_usec*1000 */
	uint64_t memory_peak_bytes; /* v1 memory.max_usage_in_bytes, v2 memory.peak (0 if absent) */
	uint64_t oom_kills;         /* v1 memory.oom_control oom_kill, v2 memory.events oom_kill */
	uint64_t pids_max_hits;     /* pids.events "max" */
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

/* Moves @pid into the group (every hierarchy on v1). Returns 0 or -errno. */
int cgroup_attach(struct cgroup *cg, pid_t pid);

/* Reads usage counters. Returns 0 or -errno. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret);

/* Freezes (true) or thaws (false) every task. Returns 0 or -errno. */
int cgroup_freeze(struct cgroup *cg, bool frozen);

/* SIGKILLs every task in the group and waits until it is empty (v2: cgroup.kill; v1: freeze,
 * kill each pid from cgroup.procs, thaw, repeat until empty). Returns 0 or -errno. */
int cgroup_kill(struct cgroup *cg);

/* Number of tasks still in the group, or -errno. */
int cgroup_count_procs(struct cgroup *cg);

/* Kills what is left, removes the directories and frees @cg. Accepts NULL. Returns 0 or the
 * first -errno (the object is freed either way). */
int cgroup_destroy(struct cgroup *cg);

/* Removes every "gradebox/box-*" group for which @is_stale(name, userdata) returns true
 * (killing its tasks first). Returns the number removed or -errno. */
int cgroup_cleanup_stale(const char *root, bool (*is_stale)(const char *name, void *userdata),
			 void *userdata);

enum cgroup_version cgroup_version(const struct cgroup *cg);

/* Formats a byte count for a cgroup knob ("max" for 0 on v2, "-1" on v1). Pure; unit-tested. */
const char *cgroup_format_limit(enum cgroup_version v, uint64_t value, char *buf, size_t size);
