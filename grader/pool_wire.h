/* SPDX-License-Identifier: MIT */
/* The warm pool's messages (between grader/pool_client.c and grader/cmd_pool.c). The two ends
 * are built against different libcs (the front door against musl, the pool against glibc), so
 * every struct here holds fixed-size types only, and the layout of struct run_result is pinned
 * below: a change to it must change POOL_VERSION. */
#pragma once

#include "run.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#define POOL_MAGIC   0x6c706267u /* "gbpl" */
#define POOL_VERSION 2u

enum {
	HAS_STDIN = 1 << 0,
	HAS_STDOUT = 1 << 1,
	HAS_STDERR = 1 << 2,
	HAS_RESULT = 1 << 3, /* the pool writes the result as JSON into this file (--result) */
};

struct pool_hello {
	uint32_t magic, version;
	uint32_t result_size; /* sizeof(struct run_result), pinned below */
	uint32_t flags;
	uint32_t shape_len; /* bytes of shape text that follow: see pool_shape_text() */
	int32_t cpu;	    /* the CPU the client sends from (and will wait on), or -1 */
};

#define SHAPE_MAX 32768

struct pool_reply {
	uint32_t magic, version;
	int32_t err; /* 0: result is valid; -errno: refused (result.message says why) */
	uint32_t result_size;
	int32_t result_err; /* writing the JSON file (HAS_RESULT): 0 or -errno */
	uint32_t reserved;
	struct run_result result;
};

_Static_assert(sizeof(struct run_result) == 2584 && offsetof(struct run_result, step_ns) == 2240 &&
		       offsetof(struct run_result, message) == 2328,
	       "struct run_result is on the pool's wire: bump POOL_VERSION and these figures");

/* What a box is built from, as text both ends compare: the disk size and the read-only binds.
 * A run whose shape differs from the pool's is refused (-EXDEV) and runs cold. Returns the
 * length written, or -ENAMETOOLONG. */
int pool_shape_text(const struct run_config *c, char *buf, size_t size);

/* @p, else $GRADEBOX_POOL_SOCKET, else POOL_SOCKET. */
const char *pool_socket_path(const char *p);

/* Fills @sa for @path. Returns 0 or -ENAMETOOLONG. */
int pool_sockaddr(const char *path, struct sockaddr_un *sa);
