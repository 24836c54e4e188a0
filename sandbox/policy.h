/* SPDX-License-Identifier: MIT */
/* Seccomp policies as data: parse policies/<name>.policy (with includes), lint it against the
 * never-allow list, and compile it to a libseccomp filter. Pure: no syscalls are filtered
 * here (see filter.h for loading). Fuzzed by tests/fuzz/fuzz-policy.c. */
#pragma once

#include "bpf.h"

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct policy; /* opaque */

struct policy_error {
	char file[256];	   /* the file the error is in (an include's own name) */
	unsigned line;	   /* 1-based; 0 when not tied to a line (e.g. file not found) */
	char message[256]; /* what is wrong, e.g. "unknown syscall 'foo'" */
};

/* Loads a policy by @name_or_path: a name such as "run" resolves to @policy_dir/run.policy; a
 * string containing '/' is a path. "include NAME" lines resolve relative to @policy_dir.
 * On success stores a new policy in *ret (free with policy_free()). On a syntax or lint error
 * returns -EINVAL and fills *reterr; a missing file gives -ENOENT with reterr filled too. */
int policy_load(const char *name_or_path, const char *policy_dir, struct policy **ret,
		struct policy_error *reterr);

/* Same, from a buffer (@filename is used in errors; includes still read @policy_dir, which may
 * be NULL to forbid includes). */
int policy_parse(const char *text, size_t len, const char *filename, const char *policy_dir,
		 struct policy **ret, struct policy_error *reterr);

/* Accepts NULL; returns NULL. */
struct policy *policy_free(struct policy *p);
static inline void
policy_freep(struct policy **p)
{
	policy_free(*p);
}

/* Compiles @p for x86_64. Allowed calls (with their argument conditions) get SCMP_ACT_ALLOW,
 * "errno" lines SCMP_ACT_ERRNO, everything else the default action SCMP_ACT_NOTIFY: the
 * supervisor names the call and kills the sandbox, so a denied call never runs. Every i386
 * and x32 syscall is NOTIFY too (named, then killed); any other architecture is
 * SCMP_ACT_KILL_PROCESS. Stores a new context in *ret (release with seccomp_release()).
 * Returns 0 or -errno. */
/* (Addition:) -E2BIG when the program would exceed the kernel's BPF_MAXINSNS instructions. */
int policy_compile(const struct policy *p, scmp_filter_ctx *ret);

/* How policy_compile() lays out the x86_64 rules. TREE (what it uses for 8 rules and more):
 * a binary search over the syscall numbers, O(log n) per call and a cheaper load. CHAIN:
 * libseccomp's default, one comparison after another; kept as the reference the tree is
 * checked against (test-policy). */
enum policy_layout {
	POLICY_LAYOUT_TREE,
	POLICY_LAYOUT_CHAIN,
};

/* policy_compile() with the x86_64 rules laid out as @layout asks. */
int policy_compile_layout(const struct policy *p, enum policy_layout layout, scmp_filter_ctx *ret);

/* True if @syscall may never be allowed by any policy (ptrace, mount, bpf, keyctl, ...). */
bool policy_never_allow(const char *syscall);

/* Number of allow rules, for `gradebox policy check` output. */
size_t policy_n_allowed(const struct policy *p);

/* Name of the policy (file stem), borrowed from @p. */
const char *policy_name(const struct policy *p);

/* Additions (the functions above are the fixed interface). */

/* Re-runs the lint over every rule of @p: never-allowed calls, unconditional or insufficiently
 * conditioned clone/ioctl/socket/personality, conflicting actions, and range comparisons
 * (!= < <= > >=) in a call with several rules, which libseccomp 2.5.4 cannot merge (it never
 * returns). policy_load() and policy_parse() already lint, so this returns 0 for any policy
 * they produced; it exists for `gradebox policy check` and as a fuzz invariant. Returns 0, or
 * -EINVAL with *reterr filled. */
int policy_lint(const struct policy *p, struct policy_error *reterr);

/* True if any allow rule of @p (conditional or not) names @syscall. */
bool policy_allows(const struct policy *p, const char *syscall);

/* The @i-th entry of the never-allow list, or NULL past its end (for tests and docs). */
const char *policy_never_allow_name(size_t i);

/* One system call as the filter sees it (the fields of the kernel's struct seccomp_data that a
 * filter may read, minus the instruction pointer, which policies never test). */
struct policy_call {
	uint32_t arch;	  /* AUDIT_ARCH_* value */
	int nr;		  /* raw syscall number; x32 numbers include the x32 bit 0x40000000 */
	uint64_t args[6]; /* the six arguments */
};

/* Runs the BPF program of a compiled @ctx (from policy_compile()) on each of the @n @calls and
 * stores the filter's return value (an SCMP_ACT_* action) in @ret_actions[i]. It evaluates the
 * exported program rather than trusting the rule list, so tests check what the kernel will
 * run. Returns 0 or -errno (-EINVAL on an instruction a seccomp filter cannot contain). */
int policy_filter_eval(scmp_filter_ctx ctx, const struct policy_call *calls, size_t n,
		       uint32_t *ret_actions);

/* For a sandboxed program that was exec'ed under a policy allowing execve (every sandboxed
 * process starts with one): stacks a second filter that kills the process on execve and
 * execveat, so from here on it can never start another program. Needs no_new_privs (the
 * sandbox sets it) and a policy that allows seccomp(SECCOMP_SET_MODE_FILTER). Returns 0 or
 * -errno. */
int policy_forbid_exec_now(void);

/* Compiles @p (policy_compile()) and exports the BPF program into *ret (free with
 * policy_bpf_clear(), bpf.h). Returns 0 or -errno. */
int policy_compile_bpf(const struct policy *p, struct policy_bpf *ret);
