/* SPDX-License-Identifier: MIT */
/* The compiled-filter cache's key (grader/bpf_cache.c): a cached filter may be used only while
 * everything it was compiled from is unchanged. The warm path reads the cache on every run, so
 * a key that missed a change would run an old filter after staff tightened a policy. */
#include "bpf_cache.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Each test runs in a forked child: each makes its own directory, removed however it ends. */
static char dir[64];

static void
remove_dir(int *unused)
{
	(void)unused;
	if (dir[0])
		(void)util_rm_rf(dir);
}
#define FIXTURE                                                      \
	_cleanup_(remove_dir) int fixture_ = 0;                      \
	snprintf(dir, sizeof(dir), "/tmp/gradebox-test-bpf-XXXXXX"); \
	CHECK(mkdtemp(dir) != NULL);                                 \
	put("compiler", "binary v1");                                \
	put("base.policy", "# base\nallow read write\n")

static void
put(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Sets @name's mtime to @sec, so that edits within one clock tick still count as edits. */
static void
stamp(const char *name, time_t sec)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct timespec ts[2] = {{.tv_sec = sec}, {.tv_sec = sec}};
	(void)utimensat(AT_FDCWD, path, ts, 0);
}

static int
key(const char *policy, char out[17])
{
	char compiler[256];
	snprintf(compiler, sizeof(compiler), "%s/compiler", dir);
	return bpf_cache_key(policy, dir, compiler, out);
}

/* Whether the key of @policy differs from *@prev now; *@prev becomes the new key. */
static bool
key_changed(const char *policy, char prev[17])
{
	char now[17];
	if (key(policy, now) != 0)
		return false;
	bool changed = strcmp(prev, now) != 0;
	memcpy(prev, now, sizeof(now));
	return changed;
}

static int
t_key_follows_every_input(void)
{
	char k[17];

	FIXTURE;
	put("run.policy", "# run\n\tinclude base  # the shared part\nallow getpid\n");
	CHECK_EQ_INT(key("run", k), 0);
	CHECK_EQ_INT((int)strlen(k), 16);
	CHECK(!key_changed("run", k)); /* stable while nothing changes */

	/* The policy itself, same size, other mtime. */
	put("run.policy", "# run\n\tinclude base  # the shared part\nallow getuid\n");
	stamp("run.policy", 1000);
	CHECK(key_changed("run", k));

	/* An edit that keeps the size and the mtime (a restored backup, `touch -r`). */
	put("run.policy", "# run\n\tinclude base  # the shared part\nallow getgid\n");
	stamp("run.policy", 1000);
	CHECK(key_changed("run", k));

	/* An included file. */
	put("base.policy", "# base\nallow read\n");
	stamp("base.policy", 2000);
	CHECK(key_changed("run", k));

	/* The binary that compiles the filters (and the libseccomp linked into it). */
	put("compiler", "binary v2, longer");
	CHECK(key_changed("run", k));

	/* The same file by its path instead of its name: the same inputs, the same key. */
	char path[256];
	snprintf(path, sizeof(path), "%s/run.policy", dir);
	CHECK(!key_changed(path, k));
	return 0;
}

static int
t_key_refuses(void)
{
	char k[17];

	FIXTURE;
	/* A missing policy or include has no key: the caller compiles and reports the error. */
	CHECK(key("absent", k) < 0);
	put("broken.policy", "include nothere\n");
	CHECK(key("broken", k) < 0);
	/* An include loop ends (depth limit) instead of recursing forever. */
	put("loop.policy", "include loop\n");
	CHECK(key("loop", k) < 0);
	return 0;
}

static int
t_big_files(void)
{
	char k[17];

	FIXTURE;
	/* Larger than the reader's arena (64 KiB): read from the heap, still hashed in full,
	 * and its includes followed. */
	size_t n = 100 * 1024;
	char *text = malloc(n + 64);
	CHECK(text != NULL);
	memset(text, '#', n);
	for (size_t i = 79; i < n; i += 80)
		text[i] = '\n';
	strcpy(text + n, "\ninclude base\n");
	put("big.policy", text);
	CHECK_EQ_INT(key("big", k), 0);
	put("base.policy", "# base, changed once more\nallow read\n");
	stamp("base.policy", 3000);
	CHECK(key_changed("big", k)); /* the include after 100 KiB was followed */
	free(text);
	return 0;
}

TAP_MAIN(TAP_TEST(t_key_follows_every_input), TAP_TEST(t_key_refuses), TAP_TEST(t_big_files))
