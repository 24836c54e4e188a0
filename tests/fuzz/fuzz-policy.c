/* SPDX-License-Identifier: MIT */
/* libFuzzer target for sandbox/policy.c: parse arbitrary bytes as a policy (no includes) and,
 * when the parser accepts them, compile and check what the kernel would run: the default is
 * NOTIFY, other architectures are killed, and no never-allowed or dangerous call is allowed. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Invariants are checked with abort(), not assert(): they must hold in release builds too. */
#define REQUIRE(cond)                                                                           \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "fuzz-policy: invariant failed: %s (line %d)\n", #cond, \
				__LINE__);                                                      \
			abort();                                                                \
		}                                                                               \
	} while (0)

#define MAX_CALLS 256

static size_t
add(struct policy_call *c, size_t n, uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	if (n < MAX_CALLS)
		c[n++] = (struct policy_call){.arch = arch, .nr = nr, .args = {a0, a1}};
	return n;
}

static void
check_compiled(const struct policy *p, scmp_filter_ctx ctx)
{
	struct policy_call calls[MAX_CALLS];
	uint32_t act[MAX_CALLS], v = 0;
	size_t n = 0, n_never, n_compat, n_denied, n_badarch;

	REQUIRE(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_DEFAULT, &v) == 0 && v == SCMP_ACT_NOTIFY);
	REQUIRE(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_BADARCH, &v) == 0 &&
		v == SCMP_ACT_KILL_PROCESS);
	REQUIRE(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_NNP, &v) == 0 && v == 0);

	/* Never-allowed calls, with zero and with busy arguments. */
	for (size_t i = 0; policy_never_allow_name(i); i++) {
		const char *name = policy_never_allow_name(i);
		int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
		REQUIRE(!policy_allows(p, name));
		n = add(calls, n, AUDIT_ARCH_X86_64, nr, 0, 0);
		n = add(calls, n, AUDIT_ARCH_X86_64, nr, 1, 0x5401);
	}
	n_never = n;
	/* Dangerous arguments to the restricted calls. */
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_clone, CLONE_NEWUSER | SIGCHLD, 0);
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_clone, CLONE_NEWNS, 0);
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_clone, CLONE_NEWPID | CLONE_NEWNET, 0);
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_clone, 0x80, 0);
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_ioctl, 0, 0x5412);	 /* TIOCSTI */
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_ioctl, 1, 0x541C);	 /* TIOCLINUX */
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_ioctl, 0, 0x100005412); /* truncated to TIOCSTI */
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_socket, 16, 3);	 /* netlink */
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_socket, 17, 3);	 /* packet */
	n = add(calls, n, AUDIT_ARCH_X86_64, SYS_personality, 0x0400000, 0); /* READ_IMPLIES_EXEC */
	n_denied = n;
	/* i386 and x32: no rule applies there, ever. */
	for (int nr = 0; nr < 40; nr++) {
		n = add(calls, n, AUDIT_ARCH_I386, nr * 11, 0, 0);
		n = add(calls, n, AUDIT_ARCH_X86_64, (nr * 11) | 0x40000000, 0, 0);
	}
	n_compat = n;
	n = add(calls, n, AUDIT_ARCH_AARCH64, SYS_read, 0, 0);
	n_badarch = n;

	REQUIRE(policy_filter_eval(ctx, calls, n, act) == 0);
	for (size_t i = 0; i < n; i++) {
		if (i < n_never)
			/* An errno rule on a never-allowed call is fine: the call does not run. */
			REQUIRE(act[i] != SCMP_ACT_ALLOW);
		else if (i < n_denied)
			REQUIRE(act[i] != SCMP_ACT_ALLOW);
		else if (i < n_compat)
			REQUIRE(act[i] == SCMP_ACT_NOTIFY);
		else if (i < n_badarch)
			REQUIRE(act[i] == SCMP_ACT_KILL_PROCESS);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	struct policy_error err;
	scmp_filter_ctx ctx = NULL;
	int r;

	memset(&err, 0, sizeof(err));
	r = policy_parse((const char *)data, size, "fuzz.policy", NULL, &p, &err);
	if (r < 0) {
		REQUIRE(p == NULL);
		REQUIRE(r == -EINVAL || r == -ENOMEM || r == -ENOENT);
		/* Messages are NUL-terminated and never empty. */
		REQUIRE(memchr(err.message, '\0', sizeof(err.message)) && err.message[0]);
		REQUIRE(memchr(err.file, '\0', sizeof(err.file)));
		return 0;
	}
	REQUIRE(policy_lint(p, &err) == 0);
	REQUIRE(strcmp(policy_name(p), "fuzz") == 0);
	r = policy_compile(p, &ctx);
	/* Whatever the parser accepts, libseccomp must accept too (unless it is too big to load). */
	REQUIRE(r == 0 || r == -ENOMEM || r == -E2BIG);
	if (r == 0) {
		check_compiled(p, ctx);
		seccomp_release(ctx);
	}
	policy_free(p);
	return 0;
}
