/* SPDX-License-Identifier: MIT */
/* libFuzzer target for grader/unpack.c: runs the planner (tar/zip behind gzip/xz/bzip2, no
 * writes) over arbitrary bytes with small limits, and checks every planned entry: relative, no
 * "." or ".." or empty component, within every limit, unique, parents planned first as
 * directories, modes 0644/0755; and that a refusal always comes with a printable reason. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Invariants are checked with abort(), not assert(): they must hold in release builds too. */
#define REQUIRE(cond)                                                                           \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "fuzz-unpack: invariant failed: %s (line %d)\n", #cond, \
				__LINE__);                                                      \
			abort();                                                                \
		}                                                                               \
	} while (0)

/* Small, so that one input runs in milliseconds and the limits are reachable. */
static const struct unpack_limits fuzz_limits = {
	.max_total_bytes = 1 << 20,
	.max_file_bytes = 256 << 10,
	.max_entries = 64,
	.max_depth = 8,
	.max_name_len = 64,
	.max_path_len = 256,
};

struct planned {
	char *paths[64];	     /* owned; every entry planned so far */
	enum unpack_type types[64];  /* parallel to paths */
	size_t n;		     /* used */
	uint64_t files, dirs, bytes; /* to compare with struct unpack_stats */
};

static int
find(const struct planned *p, const char *path, size_t len)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->paths[i]) == len && memcmp(p->paths[i], path, len) == 0)
			return (int)i;
	return -1;
}

static bool
printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static int
check_entry(const struct unpack_entry *e, void *userdata)
{
	const struct unpack_limits *lim = &fuzz_limits;
	struct planned *p = userdata;
	size_t len = strlen(e->path);
	uint32_t depth = 0;
	int parent;

	/* relative, normalised, within the limits */
	REQUIRE(len > 0 && len <= lim->max_path_len);
	REQUIRE(e->path[0] != '/' && e->path[len - 1] != '/');
	for (const char *c = e->path; *c;) {
		const char *end = strchrnul(c, '/');
		size_t clen = (size_t)(end - c);
		REQUIRE(clen > 0 && clen <= lim->max_name_len);
		REQUIRE(!(clen == 1 && c[0] == '.'));
		REQUIRE(!(clen == 2 && c[0] == '.' && c[1] == '.'));
		depth++;
		c = *end ? end + 1 : end;
	}
	REQUIRE(depth == e->depth && depth <= lim->max_depth);
	for (const char *c = e->path; *c; c++)
		REQUIRE((unsigned char)*c >= 0x20 && *c != 0x7f && *c != '\\');

	/* only files and directories, with plain modes */
	REQUIRE(e->type == UNPACK_TYPE_FILE || e->type == UNPACK_TYPE_DIR);
	if (e->type == UNPACK_TYPE_DIR) {
		REQUIRE(e->mode == 0755 && e->size == 0);
		p->dirs++;
	} else {
		REQUIRE(!e->implicit);
		REQUIRE(e->mode == 0644 || e->mode == 0755);
		REQUIRE(e->size <= lim->max_file_bytes);
		p->files++;
	}
	p->bytes += e->size;
	REQUIRE(p->bytes <= lim->max_total_bytes);

	/* unique, and the parent came first as a directory */
	REQUIRE(p->n < lim->max_entries && p->n < 64);
	REQUIRE(find(p, e->path, len) < 0);
	if (depth > 1) {
		parent = find(p, e->path, (size_t)(strrchr(e->path, '/') - e->path));
		REQUIRE(parent >= 0 && p->types[parent] == UNPACK_TYPE_DIR);
	}
	p->paths[p->n] = strdup(e->path);
	REQUIRE(p->paths[p->n]);
	p->types[p->n++] = e->type;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct planned p = {0};
	struct unpack_stats st = {0};
	struct unpack_error err = {0};
	int r;

	r = unpack_plan_memory(data, size, &fuzz_limits, check_entry, &p, &st, &err);
	REQUIRE(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r == 0) {
		REQUIRE(st.files == p.files && st.dirs == p.dirs && st.bytes == p.bytes);
		REQUIRE(st.files + st.dirs > 0 && st.files + st.dirs <= fuzz_limits.max_entries);
		REQUIRE(st.bytes <= fuzz_limits.max_total_bytes);
	} else {
		/* what the student and the log will see */
		REQUIRE(err.reason[0] != 0);
		REQUIRE(strlen(err.entry) < sizeof(err.entry) && printable(err.entry));
		REQUIRE(strlen(err.reason) < sizeof(err.reason) && printable(err.reason));
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.paths[i]);
	return 0;
}
