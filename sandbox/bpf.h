/* SPDX-License-Identifier: MIT */
/* A compiled seccomp filter as bytes: what the policy compiler produces (policy.h), the
 * filter cache stores and a run request carries. Plain data, no libseccomp and no kernel
 * headers, so that the front door (grader/front.c, built against musl) can read a cached
 * filter and pass it on without linking the compiler. */
#pragma once

#include <stddef.h>

#define POLICY_BPF_INSN_SIZE 8	  /* sizeof(struct sock_filter), checked in policy.c */
#define POLICY_BPF_MAX_INSNS 4096 /* BPF_MAXINSNS, checked in policy.c */

/* A compiled filter as the kernel takes it (seccomp(2), struct sock_fprog). */
struct policy_bpf {
	void *insns; /* owned: struct sock_filter[len] */
	size_t len;  /* instructions, at most POLICY_BPF_MAX_INSNS */
};

/* Takes a program read back from a cache: @len bytes at @data, which must be a whole number of
 * instructions, at most POLICY_BPF_MAX_INSNS. Copies it into *ret. Returns 0 or -EINVAL. */
int policy_bpf_from_bytes(const void *data, size_t len, struct policy_bpf *ret);

/* policy_bpf_from_bytes() without the copy: on success *ret owns @data (malloc'ed); on
 * failure the caller still does. */
int policy_bpf_adopt(void *data, size_t len, struct policy_bpf *ret);

void policy_bpf_clear(struct policy_bpf *b);
