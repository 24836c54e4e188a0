/* SPDX-License-Identifier: MIT */
/* Runs one program in a fresh sandbox and classifies how it ended. The supervisor (this
 * process, host root) creates the cgroup, clones the sandbox's init into new pid, mount, ipc,
 * uts, net and cgroup namespaces, builds its root, moves it into an unprivileged user
 * namespace, then watches exits, timers, output pipes and seccomp notifications. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct policy;
struct policy_bpf;
struct run_slot; /* opaque: a held uid range (see run_slot_acquire) */

/* How a run ended, isolate's codes. XX is the grader's fault, never the student's. */
enum run_status {
	RUN_OK, /* exited 0 */
	RUN_RE, /* exited non-zero */
	RUN_SG, /* killed by a signal (not one of ours) */
	RUN_TO, /* CPU time limit */
	RUN_WT, /* wall time limit */
	RUN_ML, /* memory limit (the kernel's OOM kill counter moved) */
	RUN_OL, /* output limit on stdout or stderr */
	RUN_SV, /* security violation: a syscall outside the policy */
	RUN_XX, /* internal failure: setup failed, the sandbox could not be built */
	_RUN_STATUS_MAX,
	_RUN_STATUS_INVALID = -22,
};

struct run_bind {
	const char *src; /* host path, borrowed */
	const char *dst; /* absolute path inside the sandbox, borrowed */
};

/* What the supervisor hands to run_config.on_violation, while the sandbox is frozen. */
struct run_violation {
	const char *syscall;	  /* "ptrace", "i386:getpid" */
	const uint64_t *args;	  /* six arguments */
	pid_t pid;		  /* host pid of the caller */
	int upper_dirfd;	  /* borrowed: the writable layer's upper directory, or -1 */
	const char *process_tree; /* "pid ppid state comm args" lines of every frozen process */
};

struct run_config {
	const char *image; /* read-only lower layer; NULL: host-derived base image */
	const char *const *
		layers; /* extra read-only layers above the image, top first; NULL-terminated or NULL */
	const char *workdir;	      /* holds upper/ and work/; NULL: fresh tmpfs of disk_bytes */
	const struct run_bind *binds; /* read-only bind mounts */
	size_t n_binds;
	char *const *argv;	      /* program and arguments, borrowed */
	char *const *envp;	      /* environment, borrowed; NULL: a minimal one */
	const char *cwd;	      /* working directory inside; NULL: /box */
	const struct policy *policy;  /* borrowed; compiled for this run unless @bpf is given */
	const struct policy_bpf *bpf; /* borrowed; a filter compiled (and checked) earlier */
	const char *state_dir;	 /* NULL: /run/gradebox (slot locks, base image, mount points) */
	const char *cgroup_root; /* NULL: /sys/fs/cgroup */
	const struct run_slot *slot; /* borrowed; NULL: take a free slot for this run only */

	uint64_t memory_bytes; /* cgroup memory limit */
	uint64_t cpu_time_ms;  /* cgroup CPU time limit (all processes) */
	uint64_t wall_time_ms; /* wall clock limit */
	uint64_t pids;	       /* cgroup pids.max */
	uint64_t output_limit; /* bytes per stream (stdout, stderr); more is cut and gives OL */
	uint64_t file_size;    /* RLIMIT_FSIZE */
	uint64_t disk_bytes;   /* size of the tmpfs writable layer and of /tmp */
	uint64_t open_files;   /* RLIMIT_NOFILE */
	/* cgroup v2 cpu.weight of the sandbox's group; 0: the default (100). On v2 the niceness of
	 * the caller, which its sandbox inherits, counts only inside the group: a caller that
	 * yields (the graders, at nice 10) passes run_cpu_weight_of(0, NULL). Ignored on v1. */
	unsigned cpu_weight;

	/* Incident response: called once, on the first denied syscall, with every process of the
	 * sandbox frozen (cgroup freezer) and before they are killed; NULL: just kill. */
	void (*on_violation)(const struct run_violation *v, void *userdata);
	void *on_violation_userdata;

	int stdin_fd;  /* borrowed; -1: /dev/null */
	int stdout_fd; /* borrowed; -1: discard (still counted and limited) */
	int stderr_fd; /* borrowed; -1: discard */
	int netns_fd;  /* borrowed; -1: a new network namespace per run. Else the sandbox joins
			* it: a namespace a slot keeps for its successive runs (see
			* run_netns_create()); never share one between concurrent sandboxes */
	int cancel_fd; /* borrowed; -1: none. Readable or hung up (the caller went away): kill the
			* sandbox, status XX */
};

/* Fills @c with the defaults of `gradebox run` (256 MiB, 2 s CPU, 5 s wall, 64 pids, 16 MiB
 * output, 64 MiB files and disk, 64 open files). The policy and argv are left NULL. */
void run_config_init(struct run_config *c);

/* Where a run's time goes, for docs/performance.md and `gradebox run --timing`: monotonic
 * timestamps (ns) at each step, 0 when the step did not happen. */
enum run_step {
	RUN_STEP_START,	   /* run_sandbox() entered */
	RUN_STEP_PREPARED, /* image, slot, policy compiled */
	RUN_STEP_CGROUP,   /* cgroup created with limits */
	RUN_STEP_CLONED,   /* clone3 returned in the supervisor */
	RUN_STEP_ATTACHED, /* the child is in the cgroup */
	RUN_STEP_ROOT,	   /* the child built its root and asked for its uid map */
	RUN_STEP_READY,	   /* init dropped everything and waits for its program */
	RUN_STEP_EXEC,	   /* the seccomp listener arrived: the program is about to exec */
	RUN_STEP_EXITED,   /* the program's end is known (or init was reaped) */
	RUN_STEP_DRAINED,  /* pipes and socket at EOF */
	RUN_STEP_CLEANED,  /* cgroup removed */
	_RUN_STEP_MAX,
};

const char *run_step_to_string(enum run_step s);

struct run_result {
	enum run_status status;
	int exit_code;	      /* valid when exited */
	int signal;	      /* valid when killed by a signal */
	uint64_t cpu_time_ms; /* from the cgroup, all processes of the sandbox */
	uint64_t wall_time_ms;
	uint64_t memory_peak_kb;
	uint64_t output_bytes; /* stdout + stderr, as produced (before cutting) */
	bool output_truncated;
	uint64_t pids_limit_hits;	 /* forks refused by the cgroup pids limit */
	char denied_syscall[64];	 /* SV: the call's name ("i386:getpid" for another ABI) */
	uint64_t denied_args[6];	 /* SV: its arguments */
	pid_t denied_pid;		 /* SV: host pid of the caller */
	uint32_t host_uid_base;		 /* first host uid of the sandbox's mapped range */
	bool frozen;			 /* SV: the sandbox was frozen for the incident snapshot */
	char process_tree[2048];	 /* SV: the frozen processes, one per line */
	uint64_t step_ns[_RUN_STEP_MAX]; /* see enum run_step */
	char message[256];		 /* human-readable: why this status */
};

/* What the supervisor observed; run_classify() turns it into a status. Pure, unit-tested. */
struct run_observation {
	bool setup_failed; /* the child reported a setup error (XX) */
	bool exited;	   /* the program's wait status: exited */
	int exit_code;
	bool signaled;
	int signal;
	bool seccomp_denied;   /* a notification arrived */
	uint64_t oom_kills;    /* cgroup counter delta */
	bool cpu_limit_hit;    /* cgroup CPU usage reached the limit and we killed */
	bool wall_limit_hit;   /* wall timer fired and we killed */
	bool output_limit_hit; /* a stream passed the limit and we killed */
};

/* Precedence (documented in docs/ARCHITECTURE.md): XX > SV > OL > ML > TO > WT > SG > RE > OK.
 * A security violation outranks everything the student did after it; a memory kill outranks
 * the signal it shows up as; CPU time outranks wall time because a CPU-bound program hits both. */
enum run_status run_classify(const struct run_observation *o);

/* Runs @c. Returns 0 with *ret filled for every outcome of the program, including XX when the
 * sandbox could not be built (ret->message says why). Returns -errno only for invalid @c. */
int run_sandbox(const struct run_config *c, struct run_result *ret);

const char *run_status_to_string(enum run_status s);
enum run_status run_status_from_string(const char *s);

/* ---- the same run in three phases ----
 * run_sandbox() is prepare + exec + destroy. Split, the expensive part (cgroup, namespaces,
 * root, uid map, capability drop: everything that does not depend on the program) can be
 * done before the program is known, which is what the warm pool (`gradebox pool`) does. A
 * box is used for exactly one program: nothing of a run survives into another. */
struct run_box; /* opaque: a sandbox whose init waits for its program */

/* Builds a box from the shape of @c: image, layers, workdir, binds, disk_bytes, state_dir,
 * cgroup_root, slot, and memory_bytes, pids and cpu_weight as the cgroup's first limits. Returns 0 with
 * *ret set, or 0 with *ret NULL and r->status XX and r->message saying why; -errno only for
 * invalid arguments. r->step_ns gets the steps up to RUN_STEP_READY. @c is not kept. */
int run_box_prepare(const struct run_config *c, struct run_box **ret, struct run_result *r);

/* Runs @c's program in @b: argv, envp, cwd, the limits (the cgroup's are rewritten when they
 * differ from the box's), policy or bpf, streams, on_violation. @c's shape fields are
 * ignored, except that a disk_bytes other than the box's is refused with -EXDEV. Returns
 * when the program's end is known: 0 with *r filled for every outcome; -errno for invalid
 * arguments or a box already used. The box must still be destroyed. */
int run_box_exec(struct run_box *b, const struct run_config *c, struct run_result *r);

/* The cpu_weight that carries process @pid's niceness (0: the caller's) over to a sandbox's
 * group on cgroup v2 (cgroup_weight_for_nice()); 0 at nice 0, so that nothing is written. The
 * niceness itself goes to *ret_nice unless NULL (0 when it cannot be read). */
unsigned run_cpu_weight_of(pid_t pid, int *ret_nice);

/* The box's init, as the host sees it (for its scheduling priority). */
pid_t run_box_init_pid(const struct run_box *b);

/* Kills what is left of the box, waits for its init and removes its cgroup. Returns 0, or
 * -errno when the cgroup could not be removed (something survived the kill). */
int run_box_destroy(struct run_box *b);

/* ---- a run request on the wire (sandbox/request.c) ----
 * argv, envp, cwd, the limits and the compiled filter of @c, in a new memfd (*ret_fd,
 * close-on-exec). The streams, the shape and on_violation are not part of it. */
int run_request_pack(const struct run_config *c, const struct policy_bpf *bpf, int *ret_fd);

struct run_request; /* opaque: an unpacked request */

/* Reads a request back from @fd, checking every length. Returns 0, -EPROTO for another
 * version, -EBADMSG for a malformed one, or -errno. */
int run_request_unpack(int fd, struct run_request **ret);

/* The request as a run_config (bpf set, streams -1, shape fields defaults but disk_bytes);
 * valid until run_request_free(). */
const struct run_config *run_request_config(const struct run_request *q);
struct run_request *run_request_free(struct run_request *q);
static inline void
run_request_freep(struct run_request **q)
{
	run_request_free(*q);
}

/* Takes a slot (a host uid range and a cgroup name) for a sequence of runs that must see each
 * other's files as their own, such as unpack, build and tests of one grading job. The runs of
 * one slot must not overlap. Release with run_slot_release(). Returns 0 or -errno. */
int run_slot_acquire(const char *state_dir, struct run_slot **ret);
struct run_slot *run_slot_release(struct run_slot *s);
static inline void
run_slot_releasep(struct run_slot **s)
{
	run_slot_release(*s);
}

/* For a grading worker: moves the calling process into a private mount namespace and mounts
 * a tmpfs of @size bytes and @inodes inodes on @path (created if missing), so every writable
 * layer of its sandboxes is size-limited and vanishes with the worker, even on SIGKILL.
 * Returns 0 or -errno. */
int run_scratch_enter(const char *path, uint64_t size, uint64_t inodes);

/* Creates a network namespace with loopback up, owned by the initial user namespace (like the
 * one each sandbox gets), for run_config.netns_fd. The caller stays in its own namespace.
 * Returns 0 with *ret_fd (close-on-exec) or -errno. */
int run_netns_create(int *ret_fd);

/* Removes state left by supervisors that were killed: cgroups of slots nobody holds.
 * Returns the number of leftovers removed or -errno. */
int run_cleanup_stale(const char *state_dir, const char *cgroup_root);
