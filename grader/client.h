/* SPDX-License-Identifier: MIT */
/* The `gradebox` subcommands that talk to a running `gradebox serve` over its HTTP API
 * (libevent's evhttp client): assignment, submit, batch, status, results, export, regrade,
 * cancel, student-token. See docs/API.md for the CLI reference. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True if @cmd is one of the client subcommands above. */
bool client_is_command(const char *cmd);

/* Runs subcommand @cmd with @argv[0] == @cmd. Returns the exit code: 0 OK, 1 "no" (the server
 * refused something, a job did not pass), 2 usage, connection or internal error. */
int cmd_client(const char *cmd, int argc, char **argv);

/* Prints the client commands' one-line usage, for `gradebox --help`. */
void client_usage(FILE *f);

/* The student login encoded in a submission's file name: the base name without one of the
 * suffixes .tar.gz .tgz .tar.xz .txz .tar.bz2 .tbz2 .tar .zip ("dir/alice.tar.gz" -> "alice").
 * Writes it into @buf. Returns 0, or -EINVAL if the result is not a valid login
 * ([a-z0-9][a-z0-9._-]{0,63}) or does not fit. */
int client_student_from_filename(const char *path, char *buf, size_t size);
