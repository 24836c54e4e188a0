/* SPDX-License-Identifier: MIT */
/* Compiled seccomp filters kept between runs. Parsing and compiling a policy costs about
 * 1.5 ms, a tenth of a whole run; the compiled program is kept in /run/gradebox/bpf/<key>,
 * root-only. The key covers everything the program depends on: each policy file read (path,
 * text, size, mtime, inode; includes found by the same "include NAME" lines the parser follows)
 * and the identity (size, mtime) of the binary that compiles it, the full runner, which is
 * linked statically with libseccomp, so its identity covers libseccomp's version too. A stale
 * or damaged entry just means compiling again. Plain libc: the front door reads entries. */
#pragma once

#include "bpf.h"

#define BPF_CACHE_DIR "/run/gradebox/bpf"

/* The key for @policy_arg (a name in @policy_dir, or a path) as compiled by the binary at
 * @compiler_path. Returns 0 with 16 hex digits in @key, or -errno (a policy file is missing). */
int bpf_cache_key(const char *policy_arg, const char *policy_dir, const char *compiler_path,
		  char key[17]);

/* Reads entry @key into *ret (free with policy_bpf_clear()). Returns 0 or -errno. */
int bpf_cache_read(const char *key, struct policy_bpf *ret);

/* Stores @b as entry @key (atomically: rename), then prunes the oldest entries past 64. Errors
 * are ignored: the cache is only an optimisation. */
void bpf_cache_write(const char *key, const struct policy_bpf *b);
