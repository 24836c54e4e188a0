/* SPDX-License-Identifier: MIT */
/* Incident evidence: a tar.gz snapshot of a frozen sandbox's writable layer plus what the
 * supervisor saw (denied call, arguments, process tree), stored content-addressed. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct evidence_info {
	const char *syscall;  /* borrowed */
	const uint64_t *args; /* borrowed, six */
	int pid;
	const char *process_tree; /* borrowed */
	const char *step;	  /* "build", "test t3", ... */
};

/* Archives the tree under @upper_dirfd (borrowed; symlinks stored as links, never followed;
 * at most @max_bytes of file data, the rest listed in TRUNCATED.txt) together with
 * VIOLATION.json and PROCESS_TREE.txt into @dest_dir/<sha256>.tar.gz. Writes the file name
 * into @ret_name (size @name_size) and the digest into @ret_sha256. Returns 0 or -errno. */
int evidence_snapshot(int upper_dirfd, const struct evidence_info *info, const char *dest_dir,
		      uint64_t max_bytes, char *ret_name, size_t name_size, char ret_sha256[65]);
