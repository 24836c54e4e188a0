/* SPDX-License-Identifier: MIT */
/* A run's result as JSON (`gradebox run --result`): one writer for the runner (grader/cmd_run.c)
 * and the warm pool (grader/cmd_pool.c), which writes it for the front door, so that the file
 * is the same whoever ran the program. */
#pragma once

#include "run.h"

#include <jansson.h>
#include <stdbool.h>

/* The result as an object; "pool" says whether a warm sandbox of the pool ran it. */
json_t *run_result_json(const struct run_result *r, bool pool);

/* Adds what a security violation left to @j: the denied call's arguments, the caller's pid,
 * whether the sandbox was frozen and its process tree (the --result file and the pipeline's
 * per-test records). */
void run_json_add_denial(json_t *j, const struct run_result *r);

/* Writes @doc to @fd (the --result file, opened before the run). Returns 0 or -errno. */
int run_json_dump(json_t *doc, int fd);
