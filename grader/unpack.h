/* SPDX-License-Identifier: MIT */
/* Student submission intake: reads a tar (plain, gzip, xz, bzip2) or zip archive with libarchive,
 * validates every entry against limits (the planner) and, optionally, writes the accepted
 * entries beneath a directory fd with openat2(RESOLVE_BENEATH) (the applier).
 * See docs/unpack.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every limit is inclusive: a value equal to the limit is accepted. */
struct unpack_limits {
	uint64_t max_total_bytes; /* sum of decompressed file data, counted as it is read */
	uint64_t max_file_bytes;  /* decompressed data of any one file */
	uint64_t max_entries;	  /* archive headers read plus implicit parent directories */
	uint32_t max_depth;	  /* path components, "a/b/c.txt" is 3 */
	uint32_t max_name_len;	  /* bytes in one path component */
	uint32_t max_path_len;	  /* bytes in the whole normalised path */
};

enum unpack_type {
	UNPACK_TYPE_FILE,
	UNPACK_TYPE_DIR,
	_UNPACK_TYPE_MAX,
};

/* One accepted entry, as handed to an unpack_entry_fn. */
struct unpack_entry {
	const char *path;      /* normalised relative path: no "", ".", ".." components, no
				* leading or trailing '/'; borrowed, valid during the callback */
	enum unpack_type type; /* regular file or directory, nothing else is ever accepted */
	uint32_t mode;	       /* 0644 or 0755 for files, 0755 for directories */
	uint32_t depth;	       /* number of components of path */
	uint64_t size;	       /* file data bytes actually read (0 for directories) */
	bool implicit;	       /* a parent directory the archive did not list itself */
};

/* Called once per accepted entry, parents before children, files after their data was read
 * (and written, when applying). A negative return aborts the unpack with that value. */
typedef int (*unpack_entry_fn)(const struct unpack_entry *entry, void *userdata);

struct unpack_stats {
	uint64_t files;		/* regular files accepted */
	uint64_t dirs;		/* directories accepted, implicit ones included */
	uint64_t bytes;		/* decompressed file data */
	uint64_t archive_bytes; /* bytes read from the archive itself (compressed) */
};

#define UNPACK_ENTRY_MAX  256
#define UNPACK_REASON_MAX 384

/* Why an archive was refused. Both strings are printable ASCII (student-controlled names are
 * escaped with log_escape() and cut with "..."), safe to show the student and to log. */
struct unpack_error {
	uint64_t index;			/* 1-based header number in the archive, 0: not about one */
	char entry[UNPACK_ENTRY_MAX];	/* the entry's name as stored in the archive, or "" */
	char reason[UNPACK_REASON_MAX]; /* "symbolic link (to '/tmp') not allowed" */
};

/* Default limits: 64 MiB total, 16 MiB per file, 10000 entries, depth 32, 255-byte components,
 * 1024-byte paths. */
struct unpack_limits unpack_limits_default(void);

/* Reads the archive from @archive_fd (borrowed, read from its current offset; a pipe works, but
 * a zip is then read in streaming mode and its Unix modes are lost) and creates its files and
 * directories beneath @dest_dirfd (borrowed; meant to be a fresh empty directory). @lim may be
 * NULL for the defaults. Files get mode 0644 or 0755 (if any x bit was set), directories 0755,
 * whatever the umask; owners, times, ACLs and xattrs from the archive are ignored.
 *
 * The archive is processed in one pass: on any error the files created so far, the last one
 * possibly incomplete, are left in place and the caller must discard the whole destination.
 *
 * Returns 0 and fills *ret_stats (may be NULL) on success. Returns -EINVAL when the archive is
 * refused (a bad entry, a limit, corrupt, truncated, empty or not a tar/zip), -ENOSPC when the
 * filesystem or quota is full, -EEXIST, -ELOOP or -EXDEV when the destination already held a
 * file, a symlink or a mount point in the way (an existing directory is merged into), -ENOSYS
 * without openat2() (Linux < 5.6 or denied by seccomp), -EOPNOTSUPP when libarchive lacks a
 * built-in decompressor, other -errno on system errors. Every failure but -EBADF fills *reterr
 * (may be NULL). */
int unpack_fd(int archive_fd, int dest_dirfd, const struct unpack_limits *lim,
	      struct unpack_stats *ret_stats, struct unpack_error *reterr);

/* Runs the same checks as unpack_fd() without writing anything: every entry's data is still
 * decompressed and counted. Calls @cb (may be NULL) with @userdata for each accepted entry.
 * @buf is borrowed. Returns 0, -EINVAL (refused, *reterr filled), -ENOMEM, -EOPNOTSUPP, or
 * what @cb returned. This is the fuzzed surface (tests/fuzz/fuzz-unpack.c). */
int unpack_plan_memory(const void *buf, size_t len, const struct unpack_limits *lim,
		       unpack_entry_fn cb, void *userdata, struct unpack_stats *ret_stats,
		       struct unpack_error *reterr);

/* unpack_plan_memory() for an archive read from @archive_fd (borrowed). */
int unpack_plan_fd(int archive_fd, const struct unpack_limits *lim, unpack_entry_fn cb,
		   void *userdata, struct unpack_stats *ret_stats, struct unpack_error *reterr);
