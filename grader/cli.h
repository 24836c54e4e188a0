/* SPDX-License-Identifier: MIT */
/* Subcommands of the `gradebox` binary. Each returns the process exit code: 0 OK, 1 "no"
 * (the program's status was not OK, a check failed), 2 usage or internal error. */
#pragma once

#include <stddef.h>
#include <stdio.h>

struct pipeline_result;

int cmd_run(int argc, char **argv);
int cmd_unpack_helper(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* Directory holding policies/NAME.policy: $GRADEBOX_POLICY_DIR, else ../policies next to the
 * binary (a build tree; @self_dir when the caller knows the binary's directory, NULL to look it
 * up), else /usr/share/gradebox/policies. Writes into @buf. */
const char *cli_policy_dir(const char *self_dir, char *buf, size_t size);

/* Prints a result as the per-test table staff read. */
void cli_print_result(FILE *f, const struct pipeline_result *r);

/* Loads @assignment_dir, enters a private scratch tmpfs at @scratch and grades @tarball;
 * incident snapshots go to @evidence_dir (NULL: none); the phases reached are written to
 * @progress_fd as they happen (-1: none; see pipeline_config).
 * Returns 0 with *ret filled (free with pipeline_result_clear()), or -errno with @err set. */
int cli_grade_one(const char *assignment_dir, const char *tarball, const char *scratch,
		  const char *evidence_dir, int progress_fd, struct pipeline_result *ret, char *err,
		  size_t errsize);
