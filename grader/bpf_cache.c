/* SPDX-License-Identifier: MIT */
/* The compiled-filter cache (see bpf_cache.h). */
#include "bpf_cache.h"

#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void
fnv(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 1099511628211ULL;
	}
}

/* Hashes the identity of a struct stat's fields one by one: the struct's layout (and its
 * padding) differs between libcs, and the front door is built against musl. */
static void
fnv_stat(uint64_t *h, const struct stat *st, bool with_ino)
{
	uint64_t v[5] = {(uint64_t)st->st_size, (uint64_t)st->st_mtim.tv_sec,
			 (uint64_t)st->st_mtim.tv_nsec, with_ino ? (uint64_t)st->st_ino : 0,
			 (uint64_t)st->st_dev};
	fnv(h, v, sizeof(v));
}

/* The NAME of an "include NAME" line, as the policy parser splits it (words separated by
 * spaces and tabs, a comment from '#'); without sscanf, which costs about a microsecond a line
 * here and the front door scans every line on every run. */
static bool
include_name(const char *line, char name[256])
{
	line += strspn(line, " \t");
	if (strncmp(line, "include", 7) != 0 || (line[7] != ' ' && line[7] != '\t'))
		return false;
	line += 7;
	line += strspn(line, " \t");
	size_t n = strcspn(line, " \t#\r");
	if (n == 0 || n > 255)
		return false; /* the parser refuses it; the compile that follows says why */
	memcpy(name, line, n);
	name[n] = 0;
	return true;
}

/* Policy files are read whole into this arena, each one after the files that include it (a
 * stack: an include is hashed while its parent's text is still being scanned). One read per
 * file and no allocator churn; each system call and each new page costs tens of microseconds
 * on this kind of guest, and the front door pays them on every run. A file that does not fit
 * is read into the heap. */
static char arena[64 * 1024];
static size_t arena_used;

/* "DIR/NAME.policy" in the arena, after what is there (the caller puts arena_used back), or on
 * the heap (*heap, the caller frees it) when it does not fit. Paths in neither PATH_MAX
 * frames nor fresh heap pages: the arena's first page is the one the texts use anyway. */
static const char *
arena_path(const char *dir, const char *name, char **heap)
{
	size_t room = sizeof(arena) - arena_used;
	int n = snprintf(arena + arena_used, room, "%s/%s.policy", dir, name);
	if (n < 0)
		return NULL;
	if ((size_t)n < room) {
		const char *p = arena + arena_used;
		arena_used += (size_t)n + 1;
		return p;
	}
	return asprintf(heap, "%s/%s.policy", dir, name) < 0 ? NULL : *heap;
}

static int
hash_file(uint64_t *h, const char *path, const char *dir, int depth)
{
	struct stat st;

	if (depth > 8)
		return -ELOOP;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -ENOENT;
	fnv(h, path, strlen(path) + 1);
	fnv_stat(h, &st, true);

	size_t size = (size_t)st.st_size, base = arena_used;
	_cleanup_free_ char *heap = NULL;
	char *text;
	if (size < sizeof(arena) - arena_used) {
		text = arena + arena_used;
		arena_used += size + 1;
	} else if (!(text = heap = malloc(size + 1)))
		return -ENOMEM;
	ssize_t n = util_read_full(fd, text, size);
	int r = n < 0 ? (int)n : 0;
	text[n < 0 ? 0 : n] = 0;
	/* The text too, not only the identity: an edit that keeps the size and the mtime (a
	 * restored backup, `touch -r`) must not keep the old filter. The file is read anyway. */
	fnv(h, text, n < 0 ? 0 : (size_t)n);
	for (char *line = text, *next; r == 0 && *line; line = next) {
		char name[256];
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		if (!include_name(line, name))
			continue;
		size_t mark = arena_used;
		_cleanup_free_ char *heap_sub = NULL;
		const char *sub = arena_path(dir, name, &heap_sub);
		r = sub ? hash_file(h, sub, dir, depth + 1) : -ENOMEM;
		arena_used = mark;
	}
	arena_used = base;
	return r;
}

int
bpf_cache_key(const char *policy_arg, const char *policy_dir, const char *compiler_path,
	      char key[17])
{
	_cleanup_free_ char *heap_path = NULL;
	struct stat st;
	uint64_t h = 14695981039346656037ULL;

	size_t mark = arena_used;
	const char *path = strchr(policy_arg, '/') ? policy_arg
						   : arena_path(policy_dir, policy_arg, &heap_path);
	if (!path)
		return -ENOMEM;
	fnv(&h, "gradebox-bpf-3", 14);
	if (stat(compiler_path, &st) < 0)
		return -errno;
	fnv_stat(&h, &st, false);
	int r = hash_file(&h, path, policy_dir, 0);
	arena_used = mark;
	if (r < 0)
		return r;
	snprintf(key, 17, "%016llx", (unsigned long long)h);
	return 0;
}

int
bpf_cache_read(const char *key, struct policy_bpf *ret)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", BPF_CACHE_DIR, key);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* Sized to the entry: a fixed large buffer would cost a page fault per 4 KiB touched. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > POLICY_BPF_MAX_INSNS * POLICY_BPF_INSN_SIZE)
		return -EINVAL;
	_cleanup_free_ char *buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	ssize_t n = util_read_full(fd, buf, (size_t)st.st_size);
	if (n != st.st_size)
		return -EINVAL;
	int r = policy_bpf_adopt(buf, (size_t)n, ret);
	if (r == 0)
		TAKE_PTR(buf);
	return r;
}

#define BPF_CACHE_KEEP 64 /* entries; each is about 1 KiB on tmpfs */

struct cache_entry {
	char name[64];
	struct timespec mtime;
};

static int
cache_entry_older(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return (x->mtime.tv_nsec > y->mtime.tv_nsec) - (x->mtime.tv_nsec < y->mtime.tv_nsec);
}

/* Keys include the compiler's identity, so every rebuild or upgrade leaves the old entries
 * unused: past BPF_CACHE_KEEP entries, the oldest go (a removed entry in use by another run
 * only means compiling again). Runs when an entry is written, which is rare. */
static void
cache_prune(void)
{
	_cleanup_(closedirp_) DIR *d = opendir(BPF_CACHE_DIR);
	struct cache_entry *e = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(e->name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct cache_entry *ne =
				realloc(e, (cap = cap ? 2 * cap : 64) * sizeof(*e));
			if (!ne)
				break;
			e = ne;
		}
		snprintf(e[n].name, sizeof(e[n].name), "%s", de->d_name);
		e[n++].mtime = st.st_mtim;
	}
	if (n > BPF_CACHE_KEEP) {
		qsort(e, n, sizeof(*e), cache_entry_older);
		for (size_t i = 0; i < n - BPF_CACHE_KEEP; i++)
			(void)unlinkat(dirfd(d), e[i].name, 0);
	}
	free(e);
}

void
bpf_cache_write(const char *key, const struct policy_bpf *b)
{
	char path[128], tmp[160];
	if (util_mkdir_p(BPF_CACHE_DIR, 0700) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", BPF_CACHE_DIR, key);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (util_write_all(fd, b->insns, b->len * POLICY_BPF_INSN_SIZE) < 0 ||
	    rename(tmp, path) < 0)
		(void)unlink(tmp);
	else
		cache_prune();
}
