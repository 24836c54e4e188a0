/* SPDX-License-Identifier: MIT */
/* The `gradebox` subcommands that talk to a running `gradebox serve` over its HTTP API
 * (libevent's evhttp client): assignment, submit, batch, status, results, export, regrade,
 * cancel, student-token. See docs/API.md for the CLI reference. */
#pragma once

#include <jansson.h>
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

/* --- added for `gradebox demo escapes` (grader/cmd_demo.c) ------------------------------------ */

struct client; /* one server connection setting: URL, token, event base, timeout */

/* Prepares requests to @server ("http://HOST[:PORT]", NULL: the default) with the staff token
 * from $GRADEBOX_TOKEN or @data_dir/token (NULL: /var/lib/gradebox). @timeout_s <= 0 means 30.
 * Prints why on stderr and returns -errno on failure. Free with client_free(). */
int client_open(const char *server, const char *data_dir, int timeout_s, struct client **ret);
struct client *client_free(struct client *cl);

/* One request (GET, or POST when @post) with an optional body of type @type. Returns 0 with
 * *ret_code set to the HTTP status and *ret_body to the malloc'd, NUL-terminated reply (either
 * may be NULL); for a non-2xx reply @reterr holds the server's reason. Returns -EIO with
 * @reterr set when no reply came (connection refused, timeout). */
int client_request(struct client *cl, bool post, const char *path, const char *type,
		   const void *body, size_t len, int *ret_code, char **ret_body, size_t *ret_len,
		   char *reterr, size_t errsize);

/* client_request() with a JSON body (may be NULL) and a JSON reply: returns the parsed reply of
 * a 2xx answer (json_decref() it), else NULL with *ret_code (0: no reply) and @reterr set. */
json_t *client_json(struct client *cl, bool post, const char *path, const char *body, int *ret_code,
		    char *reterr, size_t errsize);
