/* SPDX-License-Identifier: MIT */
/* Student tarball intake. libarchive only parses; every decision (names, types, modes, limits,
 * duplicates) is ours, and files are created with openat2(RESOLVE_BENEATH) rather than
 * archive_write_disk, whose "secure" flags let through what KERNEL-NOTES.md trap 14 lists.
 * The checks and their reasons are listed in docs/unpack.md. ARCHIVE_* codes stay in this file. */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <locale.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "util.h"

#define UNPACK_READ_BLOCK (64 * 1024)

/* Decompressed bytes that are not file data (tar headers, padding, pax and GNU long-name
 * records) allowed per header read, plus a fixed slack. libarchive caps one special header at
 * 1 MiB and 32 of them per entry, but nothing caps the sum, so a gzip'd run of huge pax headers
 * would otherwise decompress for minutes without a single byte reaching our data counter. */
#define UNPACK_METADATA_PER_HEADER (64 * 1024)
#define UNPACK_METADATA_SLACK	   (4 * 1024 * 1024)

static inline void
archive_read_freep(struct archive **a)
{
	if (*a)
		(void)archive_read_free(*a);
}

struct unpack_limits
unpack_limits_default(void)
{
	return (struct unpack_limits){
		.max_total_bytes = 64ULL << 20,
		.max_file_bytes = 16ULL << 20,
		.max_entries = 10000,
		.max_depth = 32,
		.max_name_len = 255, /* NAME_MAX: longer components fail in the kernel anyway */
		.max_path_len = 1024,
	};
}

/* The set of paths accepted so far, to refuse duplicates and files used as parents before the
 * filesystem is touched (and in plan-only mode, where there is no filesystem). Open addressing
 * with linear probing; at most max_entries paths, since implicit parents count as entries. */
struct pathset_slot {
	char *path;	       /* owned; NULL marks an empty slot */
	size_t len;	       /* strlen(path) */
	uint64_t hash;	       /* of path, seeded */
	enum unpack_type type; /* what the path was accepted as */
};

struct pathset {
	struct pathset_slot *slots; /* owned, cap entries */
	size_t cap;		    /* 0 or a power of two */
	size_t n;		    /* used slots */
	uint64_t seed;		    /* per run, so colliding names cannot be precomputed */
};

static uint64_t
pathset_hash(const struct pathset *s, const char *p, size_t len)
{
	/* FNV-1a from a seeded basis: not a keyed MAC, but enough that a student cannot ship a
	 * precomputed set of names that all land in one probe chain. */
	uint64_t h = 14695981039346656037ULL ^ s->seed;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Returns the slot holding @p, or the empty slot where it would go. cap must be non-zero. */
static struct pathset_slot *
pathset_slot(struct pathset *s, const char *p, size_t len, uint64_t h)
{
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		struct pathset_slot *slot = &s->slots[i];
		if (!slot->path ||
		    (slot->hash == h && slot->len == len && memcmp(slot->path, p, len) == 0))
			return slot;
	}
}

/* Returns the type @p was accepted as, or -ENOENT. */
static int
pathset_get(struct pathset *s, const char *p, size_t len)
{
	struct pathset_slot *slot;

	if (s->cap == 0)
		return -ENOENT;
	slot = pathset_slot(s, p, len, pathset_hash(s, p, len));
	return slot->path ? (int)slot->type : -ENOENT;
}

/* Adds @p (not yet present). Returns 0 or -ENOMEM. */
static int
pathset_add(struct pathset *s, const char *p, size_t len, enum unpack_type type)
{
	struct pathset_slot *slot;
	uint64_t h;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct pathset_slot *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			struct pathset_slot *old = &s->slots[i];
			if (!old->path)
				continue;
			for (size_t j = old->hash & (cap - 1);; j = (j + 1) & (cap - 1))
				if (!slots[j].path) {
					slots[j] = *old;
					break;
				}
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}

	h = pathset_hash(s, p, len);
	slot = pathset_slot(s, p, len, h);
	slot->path = strndup(p, len);
	if (!slot->path)
		return -ENOMEM;
	slot->len = len;
	slot->hash = h;
	slot->type = type;
	s->n++;
	return 0;
}

static void
pathset_done(struct pathset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i].path);
	free(s->slots);
	*s = (struct pathset){0};
}

struct unpacker {
	struct archive *archive;	 /* borrowed */
	const struct unpack_limits *lim; /* borrowed, must outlive the run */
	int dest_fd;			 /* borrowed; -1 when only planning */
	unpack_entry_fn cb;		 /* may be NULL */
	void *userdata;			 /* passed to cb */
	struct pathset seen;		 /* owned: every path accepted so far */
	struct unpack_stats stats;	 /* running totals */
	uint64_t work;			 /* headers read + implicit dirs, against max_entries */
	uint64_t index;			 /* number of the current header, 1-based */
	const char *raw;		 /* borrowed from libarchive: current name as stored */
	struct unpack_error err;	 /* filled by fail() */
};

/* Escapes student-controlled @s into @buf for a message, cutting long names with "...". */
static const char *
escape(const char *s, char *buf, size_t size)
{
	char tmp[UNPACK_REASON_MAX * 2];
	size_t len, cut;

	(void)log_escape(s, strlen(s), tmp, sizeof(tmp));
	len = strlen(tmp);
	if (len < size) {
		memcpy(buf, tmp, len + 1);
		return buf;
	}
	/* Cut before any "\xNN" that would be split: log_escape() escapes '\' itself, so every
	 * backslash in tmp starts a four-character escape. */
	cut = size - 4;
	for (size_t i = cut > 3 ? cut - 3 : 0; i < cut; i++)
		if (tmp[i] == '\\') {
			cut = i;
			break;
		}
	memcpy(buf, tmp, cut);
	memcpy(buf + cut, "...", 4);
	return buf;
}

/* Records why the run failed (naming the current entry, if any) and returns @r. */
static int fail(struct unpacker *u, int r, const char *fmt, ...) _printf_(3, 4);

static int
fail(struct unpacker *u, int r, const char *fmt, ...)
{
	va_list ap;

	u->err.index = u->index;
	if (u->raw)
		(void)escape(u->raw, u->err.entry, sizeof(u->err.entry));
	else
		u->err.entry[0] = 0;
	va_start(ap, fmt);
	(void)vsnprintf(u->err.reason, sizeof(u->err.reason), fmt, ap);
	va_end(ap);
	return r;
}

/* Turns a libarchive failure into -EINVAL (the archive's fault) or -errno (ours). */
static int
fail_archive(struct unpacker *u, const char *what)
{
	const char *msg = archive_error_string(u->archive);
	int e = archive_errno(u->archive);
	char esc[192] = "no details";

	if (msg)
		(void)escape(msg, esc, sizeof(esc));
	/* libarchive reports read(2) failures and allocation failures with the real errno; those
	 * are not the student's fault and must not become a "corrupt archive" verdict. Its own
	 * format errors use EINVAL, EILSEQ (ARCHIVE_ERRNO_FILE_FORMAT) or -1 (ARCHIVE_ERRNO_MISC). */
	if (e == ENOMEM || e == EIO || e == EBADF || e == EISDIR)
		return fail(u, -e, "%s: %s", what, esc);
	/* No format recognised: either none matched (EILSEQ, which is libarchive's private
	 * ARCHIVE_ERRNO_FILE_FORMAT on Linux) or the input ended, or failed to decompress,
	 * while libarchive was still looking. */
	if (archive_format(u->archive) == 0 && e == EILSEQ)
		return fail(u, -EINVAL,
			    "not a tar or zip archive (gzip, xz and bzip2 are the only "
			    "compressions accepted): %s",
			    esc);
	return fail(u, -EINVAL, "%s: archive is truncated or corrupt: %s", what, esc);
}

static int open_beneath(int dirfd, const char *path, uint64_t flags, uint64_t mode);

/* Whether @path in the destination is a symlink or lies beyond one. */
static bool
dest_symlink(struct unpacker *u, const char *path)
{
	_cleanup_close_ int fd = open_beneath(u->dest_fd, path, O_PATH, 0);
	struct stat st;

	if (fd == -ELOOP || fd == -EXDEV)
		return true;
	/* O_PATH|O_NOFOLLOW opens a trailing symlink itself, even under RESOLVE_NO_SYMLINKS */
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Maps a failure to create or write @path in the destination to our return codes. */
static int
fail_dest(struct unpacker *u, int r, const char *verb, const char *path)
{
	char esc[192];

	(void)escape(path, esc, sizeof(esc));
	if ((r == -EEXIST || r == -ENOTDIR) && dest_symlink(u, path))
		r = -ELOOP;
	switch (-r) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG: /* RLIMIT_FSIZE with SIGXFSZ ignored */
		return fail(u, -ENOSPC, "disk limit reached while %s '%s'", verb, esc);
	case EEXIST:
	case ENOTDIR:
		return fail(u, -EEXIST, "'%s' already exists in the destination", esc);
	case ELOOP:
	case EXDEV:
		/* The plan never creates symlinks, so one here was planted in the destination by
		 * someone else: an environment problem, not a verdict on the archive. */
		return fail(u, r, "refusing to follow a symlink or leave the destination at '%s'",
			    esc);
	case ENOSYS:
	case E2BIG:
		return fail(u, -ENOSYS,
			    "openat2() is unavailable (Linux < 5.6 or a seccomp filter)");
	default:
		return fail(u, r, "%s '%s' failed: %s", verb, esc, strerror(-r));
	}
}

/* Counts one unit of work (a header or an implicit directory) against max_entries. */
static int
count_entry(struct unpacker *u)
{
	if (++u->work > u->lim->max_entries)
		return fail(u, -EINVAL, "too many entries (limit %" PRIu64 ")",
			    u->lim->max_entries);
	return 0;
}

/* 0: valid UTF-8; 1: malformed (overlong, surrogate, truncated, > U+10FFFF); 2: a C1 control
 * character, which terminals interpret (U+009B is CSI) when the name is echoed back. */
static int
utf8_check(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t c;
		int n;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			c = *p & 0x1f;
			n = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			c = *p & 0x0f;
			n = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			c = *p & 0x07;
			n = 3;
		} else
			return 1;
		/* Stops at the NUL terminator, which is not a continuation byte. */
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 1;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000))
			return 1;
		if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 1;
		if (c <= 0x9f)
			return 2;
		p += n + 1;
	}
	return 0;
}

/* Checks the stored name @raw and writes its normalised form into @norm (at least
 * strlen(raw) + 1 bytes): "." and empty components dropped, so "./a//b/" becomes "a/b". */
static int
check_name(struct unpacker *u, const char *raw, char *norm, uint32_t *ret_depth)
{
	const struct unpack_limits *lim = u->lim;
	size_t len = 0;
	uint64_t depth = 0;

	if (!raw)
		/* libarchive could not convert a UTF-8 name to the C.UTF-8 locale (see run()) */
		return fail(u, -EINVAL, "name cannot be decoded");
	if (!raw[0])
		return fail(u, -EINVAL, "empty name");
	for (const char *p = raw; *p; p++) {
		unsigned char c = (unsigned char)*p;
		/* Control characters (newline, escape) forge log lines and terminal output. A
		 * backslash is a separator to Windows tools and to anyone who copies the tree
		 * off this machine; refusing it costs nothing, since Windows zippers write '/'. */
		if (c < 0x20 || c == 0x7f)
			return fail(u, -EINVAL, "control character 0x%02x in name", c);
		if (c == '\\')
			return fail(u, -EINVAL, "backslash in name (use '/' between directories)");
	}
	switch (utf8_check(raw)) {
	case 1:
		/* Names travel on as JSON (jansson refuses invalid UTF-8) and into feedback. */
		return fail(u, -EINVAL, "name is not valid UTF-8");
	case 2:
		return fail(u, -EINVAL, "control character in name");
	}
	if (raw[0] == '/')
		return fail(u, -EINVAL, "absolute path not allowed");

	for (const char *p = raw; *p;) {
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);

		if (clen == 0 || (clen == 1 && p[0] == '.')) {
			/* "a//b" and "./a" (GNU tar's "tar czf x.tgz .") mean what POSIX says */
		} else if (clen == 2 && p[0] == '.' && p[1] == '.') {
			/* Any "..", even "a/../b" which stays inside: it cannot be needed, and
			 * refusing it means nothing downstream has to get resolution right. */
			return fail(u, -EINVAL, "'..' in path not allowed");
		} else if (clen > lim->max_name_len) {
			return fail(u, -EINVAL, "name component is %zu bytes (limit %" PRIu32 ")",
				    clen, lim->max_name_len);
		} else {
			if (len > 0)
				norm[len++] = '/';
			memcpy(norm + len, p, clen);
			len += clen;
			depth++;
		}
		p = *end ? end + 1 : end;
	}
	norm[len] = 0;

	if (depth > lim->max_depth)
		return fail(u, -EINVAL, "nested %" PRIu64 " levels deep (limit %" PRIu32 ")", depth,
			    lim->max_depth);
	if (len > lim->max_path_len)
		return fail(u, -EINVAL, "path is %zu bytes (limit %" PRIu32 ")", len,
			    lim->max_path_len);
	*ret_depth = (uint32_t)depth;
	return 0;
}

/* Accepts regular files and directories, refuses everything else by name. */
static int
check_type(struct unpacker *u, struct archive_entry *e, enum unpack_type *ret)
{
	const char *target;
	char esc[192];

	/* Checked before the file type: a tar hard link is typed as a regular file. A link to
	 * /etc/passwd followed by data for it is how CVE-2016-5418 overwrote files through
	 * libarchive's own disk writer; links inside the tree are refused too, for simplicity. */
	target = archive_entry_hardlink(e);
	if (target)
		return fail(u, -EINVAL, "hard link (to '%s') not allowed",
			    escape(target, esc, sizeof(esc)));
	target = archive_entry_symlink(e);
	if (target)
		return fail(u, -EINVAL, "symbolic link (to '%s') not allowed",
			    escape(target, esc, sizeof(esc)));

	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		*ret = UNPACK_TYPE_FILE;
		return 0;
	case AE_IFDIR:
		*ret = UNPACK_TYPE_DIR;
		return 0;
	case AE_IFLNK:
		return fail(u, -EINVAL, "symbolic link not allowed");
	case AE_IFCHR:
		return fail(u, -EINVAL, "character device (%u:%u) not allowed",
			    (unsigned)archive_entry_rdevmajor(e),
			    (unsigned)archive_entry_rdevminor(e));
	case AE_IFBLK:
		return fail(u, -EINVAL, "block device (%u:%u) not allowed",
			    (unsigned)archive_entry_rdevmajor(e),
			    (unsigned)archive_entry_rdevminor(e));
	case AE_IFIFO:
		/* a FIFO hangs whoever opens it for reading: the grader or the test harness */
		return fail(u, -EINVAL, "FIFO not allowed");
	case AE_IFSOCK:
		return fail(u, -EINVAL, "socket not allowed");
	default:
		return fail(u, -EINVAL, "unknown entry type 0%o not allowed",
			    (unsigned)archive_entry_filetype(e));
	}
}

/* Opens @path (relative to the destination) as an O_PATH directory, refusing symlinks in every
 * component, magic links, mount crossings and escapes, so a symlink planted in the destination
 * (or a race with one) cannot redirect a write. Returns an fd or -errno. */
static int
open_beneath(int dirfd, const char *path, uint64_t flags, uint64_t mode)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC | O_NOFOLLOW,
		.mode = mode,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* Opens the directory that will hold @path and points *ret_leaf at its last component. */
static int
open_parent(struct unpacker *u, char *path, const char **ret_leaf)
{
	char *slash = strrchr(path, '/');
	int fd;

	if (!slash) {
		*ret_leaf = path;
		return open_beneath(u->dest_fd, ".", O_PATH | O_DIRECTORY, 0);
	}
	*slash = 0;
	fd = open_beneath(u->dest_fd, path, O_PATH | O_DIRECTORY, 0);
	*slash = '/';
	*ret_leaf = slash + 1;
	return fd;
}

/* Creates directory @path with mode 0755. An existing directory is accepted and left as it is
 * (merging is not overwriting); anything else in the way is refused. */
static int
apply_dir(struct unpacker *u, char *path)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	const char *leaf;
	bool created = true;

	if (u->dest_fd < 0)
		return 0;
	pfd = open_parent(u, path, &leaf);
	if (pfd < 0)
		return fail_dest(u, pfd, "creating", path);
	if (mkdirat(pfd, leaf, 0755) < 0) {
		if (errno != EEXIST)
			return fail_dest(u, -errno, "creating", path);
		created = false;
	}
	/* Opened even when it existed: proves it is a directory and not a symlink to one. */
	fd = open_beneath(pfd, leaf, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fail_dest(u, fd, "creating", path);
	/* fchmod, not the mkdirat mode, so the result does not depend on the caller's umask
	 * (and a mode-000 directory from the archive cannot lock the grader out). */
	if (created && fchmod(fd, 0755) < 0)
		return fail_dest(u, -errno, "creating", path);
	return 0;
}

/* Reads the current entry's data in libarchive's blocks, counting every decompressed byte
 * against the limits before it is written to @fd (or dropped when @fd < 0), so a lying or
 * absent size in the header does not matter. */
static int
copy_data(struct unpacker *u, int fd, const char *path, uint64_t *ret_size)
{
	const struct unpack_limits *lim = u->lim;
	uint64_t pos = 0;

	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r;

		r = archive_read_data_block(u->archive, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		/* ARCHIVE_WARN here is a bad CRC or similar: the data is not what was packed. */
		if (r != ARCHIVE_OK)
			return fail_archive(u, "reading data failed");
		/* Sparse entries are refused up front; a hole here would be a libarchive surprise
		 * that we must not paper over by writing at an offset. */
		if (off < 0 || (uint64_t)off != pos)
			return fail(u, -EINVAL, "non-contiguous (sparse) data not supported");
		if (n > lim->max_file_bytes - pos)
			return fail(u, -EINVAL, "file is larger than %" PRIu64 " bytes (limit)",
				    lim->max_file_bytes);
		if (n > lim->max_total_bytes - u->stats.bytes)
			return fail(u, -EINVAL,
				    "archive expands to more than %" PRIu64 " bytes (limit)",
				    lim->max_total_bytes);
		if (fd >= 0 && n > 0) {
			r = util_write_all(fd, buf, n);
			if (r < 0)
				return fail_dest(u, r, "writing", path);
		}
		pos += n;
		u->stats.bytes += n;
	}
	*ret_size = pos;
	return 0;
}

/* Creates file @path (never replacing anything), writes its data, then sets @mode. */
static int
apply_file(struct unpacker *u, char *path, uint32_t mode, uint64_t *ret_size)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	const char *leaf;
	int r;

	if (u->dest_fd < 0)
		return copy_data(u, -1, path, ret_size);

	pfd = open_parent(u, path, &leaf);
	if (pfd < 0)
		return fail_dest(u, pfd, "creating", path);
	/* O_EXCL: never truncate or write through something that already exists. Created 0600
	 * and chmod'ed after the data, so the mode does not depend on the umask. */
	fd = open_beneath(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return fail_dest(u, fd, "creating", path);
	r = copy_data(u, fd, path, ret_size);
	if (r < 0)
		return r;
	if (fchmod(fd, mode) < 0)
		return fail_dest(u, -errno, "writing", path);
	/* close() is where NFS and some FUSE filesystems report a full disk. */
	if (close(TAKE_FD(fd)) < 0 && errno != EINTR)
		return fail_dest(u, -errno, "writing", path);
	return 0;
}

static int
call_back(struct unpacker *u, const char *path, enum unpack_type type, uint32_t mode,
	  uint32_t depth, uint64_t size, bool implicit)
{
	struct unpack_entry ue = {
		.path = path,
		.type = type,
		.mode = mode,
		.depth = depth,
		.size = size,
		.implicit = implicit,
	};
	int r;

	if (!u->cb)
		return 0;
	r = u->cb(&ue, u->userdata);
	if (r < 0)
		return fail(u, r, "refused by the caller: %s", strerror(-r));
	return 0;
}

/* Makes sure every parent of @path (length @len) is a directory, creating the missing ones
 * ("a/b/c.txt" may come without "a/" and "a/b/"), and refuses a file used as a parent. */
static int
plan_parents(struct unpacker *u, char *path, size_t len)
{
	uint32_t depth = 0;
	char esc[192];
	int r;

	for (size_t i = 0; i < len; i++) {
		if (path[i] != '/')
			continue;
		depth++;
		r = pathset_get(&u->seen, path, i);
		if (r == UNPACK_TYPE_DIR)
			continue;
		path[i] = 0;
		if (r >= 0) {
			r = fail(u, -EINVAL, "parent '%s' is a file",
				 escape(path, esc, sizeof(esc)));
			path[i] = '/';
			return r;
		}
		r = count_entry(u);
		if (r >= 0)
			r = pathset_add(&u->seen, path, i, UNPACK_TYPE_DIR);
		if (r == -ENOMEM)
			r = fail(u, r, "out of memory");
		if (r >= 0)
			r = apply_dir(u, path);
		if (r >= 0)
			r = call_back(u, path, UNPACK_TYPE_DIR, 0755, depth, 0, true);
		path[i] = '/';
		if (r < 0)
			return r;
		u->stats.dirs++;
	}
	return 0;
}

/* Refuses a gzip/xz/bzip2 stream that expands into far more metadata than its entries need. */
static int
check_metadata(struct unpacker *u)
{
	la_int64_t consumed;

	/* Only behind a decompressor: without one the input size (capped at upload) bounds it. */
	if (archive_filter_count(u->archive) < 2)
		return 0;
	consumed = archive_filter_bytes(u->archive, 0);
	if (consumed > 0 && (uint64_t)consumed > u->stats.bytes +
							 u->index * UNPACK_METADATA_PER_HEADER +
							 UNPACK_METADATA_SLACK)
		return fail(u, -EINVAL,
			    "archive expands to %" PRIi64 " bytes of headers and padding",
			    (int64_t)consumed - (int64_t)u->stats.bytes);
	return 0;
}

/* Checks one header and, when applying, creates it. run() has pointed u->raw at its name. */
static int
process_entry(struct unpacker *u, struct archive_entry *e)
{
	const struct unpack_limits *lim = u->lim;
	_cleanup_free_ char *path = NULL;
	enum unpack_type type = UNPACK_TYPE_FILE;
	uint64_t size = 0;
	uint32_t depth = 0, mode;
	size_t len;
	int r;

	r = count_entry(u);
	if (r < 0)
		return r;
	path = malloc(u->raw ? strlen(u->raw) + 1 : 1);
	if (!path)
		return fail(u, -ENOMEM, "out of memory");
	r = check_name(u, u->raw, path, &depth);
	if (r < 0)
		return r;
	r = check_type(u, e, &type);
	if (r < 0)
		return r;
	if (archive_entry_is_encrypted(e))
		return fail(u, -EINVAL, "encrypted entries are not supported");
	if (archive_entry_sparse_count(e) > 0)
		return fail(u, -EINVAL, "sparse files are not supported");

	/* The header's size is only a claim (it may be absent or lie; copy_data counts what
	 * really comes out), but an honest large one is refused before any decompression. */
	if (archive_entry_size_is_set(e)) {
		la_int64_t claimed = archive_entry_size(e);
		if (claimed < 0)
			return fail(u, -EINVAL, "negative size");
		if ((uint64_t)claimed > lim->max_file_bytes)
			return fail(u, -EINVAL,
				    "file is %" PRIi64 " bytes (limit %" PRIu64 " per file)",
				    (int64_t)claimed, lim->max_file_bytes);
		if ((uint64_t)claimed > lim->max_total_bytes - u->stats.bytes)
			return fail(u, -EINVAL,
				    "archive expands to more than %" PRIu64 " bytes (limit)",
				    lim->max_total_bytes);
	}

	/* Setuid, setgid, sticky, group/other write and odd modes such as 000 are never kept. */
	if (type == UNPACK_TYPE_DIR)
		mode = 0755;
	else
		mode = (archive_entry_perm(e) & 0111) ? 0755 : 0644;

	len = strlen(path);
	if (len == 0) {
		/* "./" as GNU tar writes it: the destination itself. Data, if any, is counted. */
		if (type != UNPACK_TYPE_DIR)
			return fail(u, -EINVAL, "empty name");
		return copy_data(u, -1, path, &size);
	}

	r = plan_parents(u, path, len);
	if (r < 0)
		return r;
	r = pathset_get(&u->seen, path, len);
	if (r >= 0) {
		/* A directory listed twice, or after a file implied it, is harmless; a second
		 * file of the same name would silently replace the first (tar semantics), which
		 * is how a reviewed file gets swapped for another: refuse it. */
		if (type == UNPACK_TYPE_DIR && r == UNPACK_TYPE_DIR)
			return copy_data(u, -1, path, &size);
		if (r == UNPACK_TYPE_DIR)
			return fail(u, -EINVAL, "a directory of the same name came earlier");
		return fail(u, -EINVAL, "duplicate entry");
	}
	r = pathset_add(&u->seen, path, len, type);
	if (r < 0)
		return fail(u, r, "out of memory");

	if (type == UNPACK_TYPE_DIR) {
		r = apply_dir(u, path);
		if (r >= 0)
			r = copy_data(u, -1, path, &size); /* directories carry no data we keep */
		if (r < 0)
			return r;
		u->stats.dirs++;
		return call_back(u, path, type, mode, depth, 0, false);
	}
	r = apply_file(u, path, mode, &size);
	if (r < 0)
		return r;
	u->stats.files++;
	return call_back(u, path, type, mode, depth, size, false);
}

static int
reader_new(struct archive **ret)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();

	if (!a)
		return -ENOMEM;
	/* "tar" reads ustar, pax, GNU and v7 tar. Knowingly excluded: cpio, iso9660, rar, 7z,
	 * ar, xar, cab, lha, mtree, warc, raw and "empty": each is more parser attack surface
	 * for no submission anyone makes. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_zip(a) != ARCHIVE_OK)
		return -EOPNOTSUPP;
	/* ARCHIVE_WARN here means libarchive was built without the library and would fork
	 * "gzip -d" or similar instead: no exec in the unpacking child, so refuse. Knowingly
	 * excluded: compress (.Z), lzip, lzma-alone, lz4, zstd, lrzip, lzop, grzip, uu, rpm. */
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(a) != ARCHIVE_OK)
		return -EOPNOTSUPP;
	*ret = TAKE_PTR(a);
	return 0;
}

/* The one pass shared by planning and applying. Reads from @buf/@len, or @archive_fd when
 * @buf is NULL. */
static int
run(int archive_fd, const void *buf, size_t len, int dest_fd, const struct unpack_limits *lim,
    unpack_entry_fn cb, void *userdata, struct unpack_stats *ret_stats, struct unpack_error *reterr)
{
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	struct unpack_limits defaults = unpack_limits_default();
	locale_t utf8 = (locale_t)0, saved = (locale_t)0;
	struct unpacker u = {
		.lim = lim ? lim : &defaults,
		.dest_fd = dest_fd,
		.cb = cb,
		.userdata = userdata,
		.seen.seed = util_now_ns() ^ (uintptr_t)&u,
	};
	bool empty = false;
	int r;

	/* libarchive converts names it knows to be UTF-8 (zip's UTF-8 flag, pax "path=") to
	 * the current locale and hands out NULL when that fails, as it does for any non-ASCII
	 * name under the "C" locale a daemon runs in. A thread-local C.UTF-8 makes that a copy,
	 * without touching the process's locale; the bytes are then validated by check_name().
	 * Without /usr/lib/locale/C.utf8 such names are refused as "cannot be decoded". */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		saved = uselocale(utf8);

	r = reader_new(&a);
	if (r < 0) {
		r = fail(&u, r, "libarchive lacks a built-in tar, zip, gzip, xz or bzip2 reader");
		goto out;
	}
	u.archive = a;

	if (buf)
		empty = len == 0;
	else {
		struct stat st;
		if (fstat(archive_fd, &st) < 0) {
			r = fail(&u, -errno, "cannot stat the archive: %s", strerror(errno));
			goto out;
		}
		empty = S_ISREG(st.st_mode) && st.st_size == 0;
	}
	if (empty) {
		/* Decided: an empty upload is refused, like an archive without entries, since it
		 * is always a mistake and saying so beats grading an empty tree. */
		r = fail(&u, -EINVAL, "the file is empty");
		goto out;
	}

	if (buf)
		r = archive_read_open_memory(a, buf, len);
	else
		r = archive_read_open_fd(a, archive_fd, UNPACK_READ_BLOCK);
	if (r != ARCHIVE_OK) {
		r = fail_archive(&u, "cannot open the archive");
		goto out;
	}

	for (;;) {
		struct archive_entry *e = NULL;

		u.raw = NULL;
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		u.index++;
		if (r == ARCHIVE_WARN) {
			/* e.g. a name that cannot be converted to the C locale: we get the raw
			 * bytes and check them ourselves. */
			char esc[192];
			const char *msg = archive_error_string(a);
			log_debug("unpack: entry %" PRIu64 ": %s", u.index,
				  escape(msg ? msg : "warning", esc, sizeof(esc)));
		} else if (r != ARCHIVE_OK) {
			/* FAILED, RETRY (a damaged header) and FATAL all end the run: skipping to
			 * the next plausible header is how two tools come to disagree. */
			r = fail_archive(&u, "reading the next header failed");
			goto out;
		}
		u.raw = archive_entry_pathname(e);
		r = check_metadata(&u);
		if (r < 0)
			goto out;
		r = process_entry(&u, e);
		if (r < 0)
			goto out;
	}
	u.raw = NULL;
	if (u.stats.files + u.stats.dirs == 0) {
		u.index = 0;
		r = fail(&u, -EINVAL, "the archive is empty");
		goto out;
	}

	u.stats.archive_bytes = (uint64_t)archive_filter_bytes(a, -1);
	if (ret_stats)
		*ret_stats = u.stats;
	r = 0;
out:
	if (r < 0 && reterr)
		*reterr = u.err;
	pathset_done(&u.seen);
	/* libarchive caches its converters per archive, so free the reader before the locale */
	(void)archive_read_free(TAKE_PTR(a));
	if (utf8) {
		(void)uselocale(saved);
		freelocale(utf8);
	}
	return r;
}

int
unpack_fd(int archive_fd, int dest_dirfd, const struct unpack_limits *lim,
	  struct unpack_stats *ret_stats, struct unpack_error *reterr)
{
	if (archive_fd < 0 || dest_dirfd < 0)
		return -EBADF;
	return run(archive_fd, NULL, 0, dest_dirfd, lim, NULL, NULL, ret_stats, reterr);
}

int
unpack_plan_memory(const void *buf, size_t len, const struct unpack_limits *lim, unpack_entry_fn cb,
		   void *userdata, struct unpack_stats *ret_stats, struct unpack_error *reterr)
{
	/* libarchive takes a NULL buffer as "no input"; give it a valid empty one instead. */
	static const char none[1];

	return run(-1, buf ? buf : none, buf ? len : 0, -1, lim, cb, userdata, ret_stats, reterr);
}

int
unpack_plan_fd(int archive_fd, const struct unpack_limits *lim, unpack_entry_fn cb, void *userdata,
	       struct unpack_stats *ret_stats, struct unpack_error *reterr)
{
	if (archive_fd < 0)
		return -EBADF;
	return run(archive_fd, NULL, 0, -1, lim, cb, userdata, ret_stats, reterr);
}
