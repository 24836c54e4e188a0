/* SPDX-License-Identifier: MIT */
/* The options of `gradebox run`, parsed once for both binaries that serve it: the front door
 * (grader/front.c), which hands common runs to a warm pool, and the full runner
 * (grader/cmd_run.c), which does everything else. One parser, so that both read the same
 * command line the same way. Uses only libc and the sandbox's plain data (no libseccomp, no
 * jansson): the front door is built against musl. */
#pragma once

#include "run.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RUN_CLI_MAX_BINDS  64
#define RUN_CLI_MAX_ENV	   256
#define RUN_CLI_MAX_LAYERS 16

/* The fields every run touches come first, the large and rarely used path buffers last: each
 * 4 KiB page first written costs a fault (25 us on this kind of guest). */
struct run_cli {
	struct run_config c; /* points into this struct and into argv */
	const char *policy_arg, *result_path;
	const char *stdin_path, *stdout_path, *stderr_path; /* opened by run_cli_open_streams() */
	int in_fd, out_fd, err_fd, result_fd;		    /* owned, or -1 */
	bool quiet, timing, cold, help;
	uint64_t repeat;
	size_t n_env;
	struct run_bind binds[RUN_CLI_MAX_BINDS];
	char *bind_srcs[RUN_CLI_MAX_BINDS]; /* owned (realpath) */
	const char *layers[RUN_CLI_MAX_LAYERS + 1];
	char *env[RUN_CLI_MAX_ENV + 2];
	char image[PATH_MAX], workdir[PATH_MAX], layer_paths[RUN_CLI_MAX_LAYERS][PATH_MAX];
};

/* Parses `run`'s options and program (@argv[0] is "run"). Paths given (image, layers,
 * workdir, bind sources) are resolved, and a --workdir is created; the stream files are not
 * opened yet. @cli is large (72 KiB of paths): callers keep it static, off the stack. Returns
 * 0 (with cli->help set for --help), or -EINVAL after saying what is wrong. */
int run_cli_parse(int argc, char **argv, struct run_cli *cli);

/* Opens --stdin, --stdout and --stderr and points the config at them, and creates the
 * --result file (cli->result_fd): a path that cannot be written is refused before anything
 * runs, on a warm run and a cold one alike. Streams handed over by the front door
 * (RUN_CLI_STREAMS_ENV, which it then removes from the environment) are taken as they are
 * instead. Returns 0, or -errno after saying which one failed. */
int run_cli_open_streams(struct run_cli *cli);

/* The environment variable through which the front door hands its open stream files to the
 * runner it execs after a pool refused the run: "IN,OUT,ERR,RESULT", descriptor numbers or -1.
 * Opening them again would truncate nothing new, but a named FIFO whose writer already left
 * would be empty (or block) on the second open. */
#define RUN_CLI_STREAMS_ENV "GRADEBOX_STREAM_FDS"

/* For the front door, before it execs the runner: keeps the stream files it opened open across
 * the exec and names them in RUN_CLI_STREAMS_ENV. Returns 0 or -errno. */
int run_cli_pass_streams(struct run_cli *cli);

/* Frees what run_cli_parse() and run_cli_open_streams() took. */
void run_cli_done(struct run_cli *cli);

void run_cli_usage(FILE *f);

/* The one-line summary of a run on stderr ("status OK: exited normally (cpu ...)"). */
void run_cli_report(const struct run_result *res);

/* Where the time of the run went, step by step, on stderr (--timing); @warm: a pool's box. */
void run_cli_print_timing(const struct run_result *res, bool warm);

/* The exit status of `gradebox run` for one run: 0 OK, 1 any other status, 2 XX. */
int run_cli_exit_code(const struct run_result *res);
