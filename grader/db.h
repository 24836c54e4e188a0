/* SPDX-License-Identifier: MIT */
/* The SQLite adapter: opening, PRAGMAs and migrations from schema/, prepared-statement and
 * transaction helpers, the catalog (students, assignments, submissions, batches) and the
 * hash-chained audit trail. SQLITE_* codes never leave db.c: every function returns -errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;	/* one connection; not shared between threads or across fork() */
struct db_stmt; /* a prepared statement */

/* The schema version this code is written against: schema/0001 .. schema/000N. */
#define DB_SCHEMA_VERSION 2

/* Opens (creating if needed) the database at @path (a file name or a "file:" URI such as
 * "file:x.db?mode=ro"), sets journal_mode=WAL, synchronous=NORMAL, foreign_keys=ON and a 5 s
 * busy timeout, then applies the migrations NNNN_*.sql in @schema_dir that the file lacks, one
 * transaction each, recording progress in PRAGMA user_version. Concurrent openers are safe: each
 * migration re-checks user_version inside its write transaction.
 * On success stores a new connection in *ret (free with db_free()).
 * Returns -EPROTO if the file's user_version is newer than DB_SCHEMA_VERSION or @schema_dir
 * does not hold exactly migrations 1..DB_SCHEMA_VERSION, -EBUSY if locked, -EROFS if it needs
 * migrating but is read-only, -ENOENT/-EACCES if it cannot be opened, -EIO otherwise. A message
 * is logged on failure (there is no connection left to ask db_errmsg()). */
int db_open(const char *path, const char *schema_dir, struct db **ret);

/* Closes the connection, finalizing nothing: every db_stmt must be freed first. Accepts NULL,
 * returns NULL. */
struct db *db_free(struct db *db);
static inline void
db_freep(struct db **p)
{
	if (*p)
		(void)db_free(*p);
}

/* The message of the last failed call on @db ("" if none). Borrowed, valid until the next
 * call on @db. */
const char *db_errmsg(const struct db *db);

/* Changes the busy timeout (default 5000 ms). Tests use a short one to see -EBUSY quickly. */
int db_set_busy_timeout(struct db *db, int ms);

/* Current time in ms since the epoch, as stored in every *_at column. Tests can pin it with
 * db_set_now_ms() (0 returns to the real clock) to make lease expiry deterministic. */
int64_t db_now_ms(const struct db *db);
void db_set_now_ms(struct db *db, int64_t now_ms);

/* Schema version recorded in the file (PRAGMA user_version). Returns it (>= 0) or -errno. */
int db_user_version(struct db *db);

/* --- statements ---------------------------------------------------------------------------- */

/* Prepares one SQL statement. On success stores it in *ret (free with db_stmt_free()). */
int db_prepare(struct db *db, const char *sql, struct db_stmt **ret);
struct db_stmt *db_stmt_free(struct db_stmt *s);
static inline void
db_stmt_freep(struct db_stmt **p)
{
	if (*p)
		(void)db_stmt_free(*p);
}

/* Binds parameter @i (1-based). Text and blobs are copied. NULL @s binds SQL NULL. */
int db_bind_int64(struct db_stmt *s, int i, int64_t v);
int db_bind_double(struct db_stmt *s, int i, double v);
int db_bind_text(struct db_stmt *s, int i, const char *v);
int db_bind_blob(struct db_stmt *s, int i, const void *v, size_t len);
/* Binds the first @len bytes of @v as TEXT (STRICT TEXT columns refuse blobs). */
int db_bind_text_n(struct db_stmt *s, int i, const char *v, size_t len);
int db_bind_null(struct db_stmt *s, int i);
/* Binds @v, or NULL when @v == 0 (optional references and timestamps). */
int db_bind_int64_or_null(struct db_stmt *s, int i, int64_t v);

/* Steps: returns 1 when a row is available, 0 when done, -errno on error (-EBUSY, -ENOSPC,
 * -EROFS, -EEXIST for a UNIQUE violation, -ENOENT for a foreign key, -EPERM when a trigger
 * refused, -EINVAL for CHECK/NOT NULL, -EIO otherwise). */
int db_step(struct db_stmt *s);
/* Resets for another execution and clears the bindings. */
int db_reset(struct db_stmt *s);

/* Typed accessors for column @i (0-based) of the current row. Text and blobs are borrowed
 * until the next step/reset/free; NULL columns give 0, 0.0, NULL. */
int64_t db_column_int64(struct db_stmt *s, int i);
double db_column_double(struct db_stmt *s, int i);
const char *db_column_text(struct db_stmt *s, int i);
const void *db_column_blob(struct db_stmt *s, int i, size_t *ret_len);
bool db_column_is_null(struct db_stmt *s, int i);
/* A malloc'd copy of a text column, or NULL for SQL NULL. Returns 0, or -ENOMEM. */
int db_column_strdup(struct db_stmt *s, int i, char **ret);

/* Runs SQL with no result rows (may hold several statements). */
int db_exec(struct db *db, const char *sql);

/* Number of rows changed by the last INSERT/UPDATE/DELETE on @db. */
int64_t db_changes(struct db *db);
int64_t db_last_insert_rowid(struct db *db);

/* --- transactions -------------------------------------------------------------------------- */

/* BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads then writes can
 * never fail half-way with SQLITE_BUSY on lock upgrade (waits up to the busy timeout instead).
 * Nested calls open SAVEPOINTs: a caller can wrap several functions that each take a
 * transaction into one, and an inner commit or rollback then ends only its own level. */
int db_begin_immediate(struct db *db);
int db_commit(struct db *db);
/* Rolls back this level if a transaction is open; safe to call after a failed COMMIT. Never
 * fails. */
void db_rollback(struct db *db);

/* Cleanup helper: declare `_cleanup_(db_txn_endp) struct db *txn = db;` after a successful
 * db_begin_immediate(); it rolls back unless TAKE_PTR(txn) was done after db_commit(). */
static inline void
db_txn_endp(struct db **p)
{
	if (*p)
		db_rollback(*p);
}

/* --- catalog ------------------------------------------------------------------------------- */

/* One test of an assignment version, as stored in the tests table. */
struct db_test_def {
	const char *name;	/* borrowed */
	double points;		/* >= 0 */
	const char *visibility; /* borrowed: "visible", "hidden" or "after_due_date" */
};

/* Adds a new version of assignment @name (1 for a new name, else latest + 1) with its tests in
 * one transaction, plus an audit row. @spec_json is the spec as loaded (stored verbatim),
 * @tests_blob the data-dir-relative path of its content-addressed copy, @due_at ms or 0.
 * @by names who added it in the audit row ("staff@ADDR"; NULL: not recorded).
 * Returns 0 and sets *ret_id / *ret_version (either may be NULL), or -EINVAL (bad JSON, bad
 * visibility, negative points), -EEXIST (duplicate test name), -EBUSY, -EIO. */
int db_assignment_add(struct db *db, const char *name, const char *title, const char *spec_json,
		      const char *tests_blob, int64_t due_at, const struct db_test_def *tests,
		      size_t n_tests, const char *by, int64_t *ret_id, int *ret_version);

/* Finds assignment @name at @version (0 = the latest). Returns 0 and sets *ret_id, or -ENOENT. */
int db_assignment_find(struct db *db, const char *name, int version, int64_t *ret_id);

/* Returns the id of student @login, creating it (with @display_name, may be NULL) if new. */
int db_student_ensure(struct db *db, const char *login, const char *display_name, int64_t *ret_id);
/* Finds student @login. Returns 0 and sets *ret_id, or -ENOENT. */
int db_student_find(struct db *db, const char *login, int64_t *ret_id);

/* Records a stored submission plus an audit row. @sha256 is 64 lowercase hex digits of the
 * uploaded file, @blob_path its data-dir-relative content-addressed copy, @original_name the
 * uploaded name (may be NULL), @by who uploaded it, for the audit row (NULL: not recorded).
 * Returns 0 and sets *ret_id, or -ENOENT (no such student or assignment), -EINVAL (bad hash),
 * -EBUSY, -EIO. */
int db_submission_add(struct db *db, int64_t student_id, int64_t assignment_id, const char *sha256,
		      uint64_t size, const char *original_name, const char *blob_path,
		      const char *by, int64_t *ret_id);

/* Creates a batch (kind "grade" or "regrade"; @assignment_id 0 = none; @created_by and @note
 * may be NULL). Returns 0 and sets *ret_id. */
int db_batch_add(struct db *db, int64_t assignment_id, const char *kind, const char *created_by,
		 const char *note, int64_t *ret_id);

/* --- audit --------------------------------------------------------------------------------- */

/* Appends an audit row chained to the previous row's hash. Must be called inside a write
 * transaction (db_begin_immediate) together with the change it records, so the row exists iff
 * the change does and two writers cannot fork the chain. Ids may be 0 (no reference),
 * @detail_json NULL means "{}". Returns 0, -EINVAL (not JSON), -EBUSY, -EIO. */
int db_audit_append(struct db *db, const char *kind, int64_t submission_id, int64_t job_id,
		    int64_t student_id, const char *detail_json);

/* Recomputes the hash chain. Returns 0 if intact; -EBADMSG if a row does not match, with its id
 * in *reterr_id (may be NULL); other -errno on database errors. */
int db_audit_verify(struct db *db, int64_t *reterr_id);

/* Writes the lowercase hex SHA-256 of @data (65 bytes with the NUL) into @ret. Exposed because
 * the store and the audit chain must agree on the hash. */
void db_sha256_hex(const void *data, size_t len, char ret[65]);

/* --- added for the audit API (GET /api/audit, /api/audit/verify) -------------------------- */

/* One audit row as listed. Strings are borrowed, valid only during the callback. */
struct db_audit_row {
	int64_t id;
	int64_t ts; /* ms since the epoch */
	const char *kind;
	int64_t submission_id; /* 0: none */
	int64_t job_id;	       /* 0: none */
	const char *student;   /* login: the row's student, else its submission's; NULL: none */
	const char *detail;    /* JSON object text */
	const char *hash;
	const char *prev_hash; /* NULL for the first row */
};
typedef int (*db_audit_cb)(const struct db_audit_row *row, void *userdata);

/* Which rows db_audit_list() returns; a zero/NULL field does not filter. */
struct db_audit_filter {
	int64_t submission_id;
	int64_t job_id;
	const char *student; /* login, matched as for db_audit_row.student */
	const char *kind;
	int64_t since_ms; /* ts >= since_ms */
	int64_t until_ms; /* ts < until_ms */
	int limit;	  /* the newest @limit matching rows; <= 0: DB_AUDIT_LIST_MAX */
};
#define DB_AUDIT_LIST_MAX 10000

/* Calls @cb for each matching row, oldest first (the newest f->limit of them). If @cb returns a
 * negative value, iteration stops and that value is returned. Otherwise returns the number of
 * rows (>= 0) or -errno. */
int db_audit_list(struct db *db, const struct db_audit_filter *f, db_audit_cb cb, void *userdata);

/* Like db_audit_verify(), but also counts the rows and says what is wrong. Returns 0 with
 * *ret_rows set if the chain is intact; -EBADMSG with *reterr_id and @reterr_reason (size
 * @reason_size) set for the first bad row; other -errno on database errors. */
int db_audit_check(struct db *db, int64_t *ret_rows, int64_t *reterr_id, char *reterr_reason,
		   size_t reason_size);

/* Appends one audit row in a transaction of its own, for events that change nothing else (a
 * staff member fetching evidence). Same arguments and errors as db_audit_append(). */
int db_audit_record(struct db *db, const char *kind, int64_t submission_id, int64_t job_id,
		    int64_t student_id, const char *detail_json);
