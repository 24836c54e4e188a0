/* SPDX-License-Identifier: MIT */
/* The JSON HTTP API of `gradebox serve` (libevent evhttp). Only the server touches the
 * database; the CLI subcommands are clients of this API. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct evhttp;
struct db;

struct api_context {
	struct db *db;	      /* borrowed: the server's connection (single-threaded loop) */
	const char *data_dir; /* borrowed: blobs/ and assignments/ live here */
	const char *token;    /* borrowed: staff bearer token (data_dir/token) */
	size_t max_body;      /* request bodies larger than this get 413 */
	/* Called after jobs were queued, so the server claims them at once. */
	void (*wake)(void *arg);
	/* Fills server-side figures for GET /api/health (slots, busy, draining); may be NULL. */
	void (*health)(void *arg, int *ret_slots, int *ret_busy, int *ret_draining);
	void *arg; /* passed to wake and health */
	/* Added for the API: called after POST /api/jobs/ID/cancel cancelled a job, so the server
	 * can stop its worker at once (else it only learns on its next write, -ESTALE). May be
	 * NULL. */
	void (*cancelled)(void *arg, int64_t job_id);
};

/* Registers every route on @http. @ctx is borrowed and must outlive @http. Returns 0 or
 * -errno. */
int api_register(struct evhttp *http, struct api_context *ctx);

/* --- pure helpers, exported for tests/unit/test-api.c and the CLI (grader/client.c) --- */

/* The archive format recognised from the first bytes of an upload, without parsing it:
 * "gzip", "xz", "bzip2", "zip" or "tar" (ustar magic at offset 257). NULL if none. */
const char *api_archive_kind(const void *buf, size_t len);

/* Student logins: [a-z0-9][a-z0-9._-]{0,63}. Assignment names: [A-Za-z0-9._-]{1,64}. */
int api_valid_login(const char *s);
int api_valid_name(const char *s);

/* A copy of @buf that is valid UTF-8 (what jansson requires): each byte of an invalid or
 * overlong sequence, a surrogate and NUL become U+FFFD. Returns NULL on allocation failure. */
char *api_utf8_sanitize(const void *buf, size_t len);

/* @s as one CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, with quotes
 * doubled. Returns a malloc'd string or NULL on allocation failure. */
char *api_csv_field(const char *s);

/* The per-student token: lowercase hex SHA-256 of "<staff token>:<login>". */
void api_student_token(const char *staff_token, const char *login, char ret[65]);

/* Evidence archive names as evidence_snapshot() writes them: 64 lowercase hex digits plus
 * ".tar.gz". Anything else (a '/', "..", uppercase) is refused before any path is built. */
int api_valid_evidence_name(const char *s);
