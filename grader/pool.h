/* SPDX-License-Identifier: MIT */
/* The warm pool: `gradebox pool` keeps sandboxes built ahead (run_box_prepare(): cgroup,
 * namespaces, root, uid map, capabilities dropped), one per worker and slot, so that a
 * `gradebox run` only pays for its own program. Each box serves exactly one run and is then
 * destroyed; the worker builds the next one while nobody waits for it. */
#pragma once

#include "run.h"

#define POOL_SOCKET "/run/gradebox/pool.sock"

/* Connects to the pool listening at @socket_path (NULL: $GRADEBOX_POOL_SOCKET, else
 * POOL_SOCKET). Returns 0 with *ret_fd, -ENOENT or -ECONNREFUSED when no pool listens, or
 * -errno. */
int pool_connect(const char *socket_path, int *ret_fd);

/* Runs @c (its bpf must be set) in a warm sandbox of the pool connected on @fd
 * (pool_connect()); with @result_fd >= 0 the pool writes the result there as JSON
 * (`--result`) before it replies, and *ret_result_err says whether that worked (0 or -errno).
 * Returns 0 with *ret filled; -EXDEV when the pool's sandboxes have another shape; 1 when the
 * pool refused the request for another reason before running anything (ret->message says
 * why: another version, say). In these cases the caller may run it cold. Any other -errno:
 * the pool failed mid-run, and the program may have started, so it must not simply be run
 * again. */
int pool_run_on(int fd, const struct run_config *c, int result_fd, struct run_result *ret,
		int *ret_result_err);

/* pool_connect() and pool_run_on(); -ENOENT or -ECONNREFUSED when no pool listens. */
int pool_run(const char *socket_path, const struct run_config *c, struct run_result *ret);

/* `gradebox pool [--sandboxes N] [--socket PATH]`: serves until SIGTERM or SIGINT. */
int cmd_pool(int argc, char **argv);
