/* SPDX-License-Identifier: MIT */
/* SQLite adapter: the only file that sees SQLITE_* codes. Opens and migrates the database, wraps
 * statements and transactions with -errno returns, and owns the catalog and audit-chain SQL. */
#include "db.h"

#include "hash.h"

#include "log.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct db {
	sqlite3 *h;	    /* owned */
	int64_t fixed_now;  /* tests: pinned clock in ms; 0 = real clock */
	char errmsg[512];   /* copy of the last error, because sqlite3_errmsg() changes per call */
	unsigned txn_depth; /* open db_begin_immediate()s: the outer one BEGINs, inner ones are
			     * SAVEPOINTs, so a caller can make several writes one transaction */
};

/* Wraps the statement with its connection so errors can be recorded in db->errmsg. */
struct db_stmt {
	sqlite3_stmt *s; /* owned */
	struct db *db;	 /* borrowed, must outlive the statement */
};

static void
set_errmsg(struct db *db, const char *msg)
{
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "");
}

/* Maps an (extended) SQLite result code to -errno. I/O errors carry the OS errno when SQLite
 * recorded one, so ENOSPC/EACCES from the file system survive. */
static int
errno_from_sqlite(sqlite3 *h, int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_TRIGGER:
		return -EPERM;
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR: {
		int e = h ? sqlite3_system_errno(h) : 0;
		return e > 0 ? -e : -EIO;
	}
	default:
		return -EIO;
	}
}

/* Records the connection's error message and converts @rc. */
static int
fail(struct db *db, int rc)
{
	set_errmsg(db, sqlite3_errmsg(db->h));
	return errno_from_sqlite(db->h, sqlite3_extended_errcode(db->h) ?: rc);
}

const char *
db_errmsg(const struct db *db)
{
	return db ? db->errmsg : "";
}

int64_t
db_now_ms(const struct db *db)
{
	struct timespec ts;

	if (db && db->fixed_now)
		return db->fixed_now;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
db_set_now_ms(struct db *db, int64_t now_ms)
{
	db->fixed_now = now_ms;
}

int
db_set_busy_timeout(struct db *db, int ms)
{
	int rc = sqlite3_busy_timeout(db->h, ms);
	return rc == SQLITE_OK ? 0 : fail(db, rc);
}

/* --- statements ---------------------------------------------------------------------------- */

int
db_prepare(struct db *db, const char *sql, struct db_stmt **ret)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(db, rc);
	struct db_stmt *st = malloc(sizeof(*st));
	if (!st) {
		(void)sqlite3_finalize(s);
		return -ENOMEM;
	}
	*st = (struct db_stmt){.s = s, .db = db};
	*ret = st;
	return 0;
}

struct db_stmt *
db_stmt_free(struct db_stmt *s)
{
	if (s) {
		(void)sqlite3_finalize(s->s);
		free(s);
	}
	return NULL;
}

static int
bind_rc(struct db_stmt *s, int rc)
{
	return rc == SQLITE_OK ? 0 : fail(s->db, rc);
}

int
db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	return bind_rc(s, sqlite3_bind_int64(s->s, i, v));
}

int
db_bind_double(struct db_stmt *s, int i, double v)
{
	return bind_rc(s, sqlite3_bind_double(s->s, i, v));
}

int
db_bind_text(struct db_stmt *s, int i, const char *v)
{
	if (!v)
		return db_bind_null(s, i);
	return bind_rc(s, sqlite3_bind_text(s->s, i, v, -1, SQLITE_TRANSIENT));
}

int
db_bind_blob(struct db_stmt *s, int i, const void *v, size_t len)
{
	if (!v)
		return db_bind_null(s, i);
	if (len > INT_MAX)
		return -E2BIG;
	return bind_rc(s, sqlite3_bind_blob(s->s, i, v, (int)len, SQLITE_TRANSIENT));
}

int
db_bind_text_n(struct db_stmt *s, int i, const char *v, size_t len)
{
	if (!v)
		return db_bind_null(s, i);
	if (len > INT_MAX)
		return -E2BIG;
	return bind_rc(s, sqlite3_bind_text(s->s, i, v, (int)len, SQLITE_TRANSIENT));
}

int
db_bind_null(struct db_stmt *s, int i)
{
	return bind_rc(s, sqlite3_bind_null(s->s, i));
}

int
db_bind_int64_or_null(struct db_stmt *s, int i, int64_t v)
{
	return v ? db_bind_int64(s, i, v) : db_bind_null(s, i);
}

int
db_step(struct db_stmt *s)
{
	int rc = sqlite3_step(s->s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return fail(s->db, rc);
}

int
db_reset(struct db_stmt *s)
{
	/* sqlite3_reset() repeats the last step's error; that error was already reported. */
	(void)sqlite3_reset(s->s);
	return bind_rc(s, sqlite3_clear_bindings(s->s));
}

int64_t
db_column_int64(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(s->s, i);
}

double
db_column_double(struct db_stmt *s, int i)
{
	return sqlite3_column_double(s->s, i);
}

const char *
db_column_text(struct db_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s->s, i);
}

const void *
db_column_blob(struct db_stmt *s, int i, size_t *ret_len)
{
	const void *p = sqlite3_column_blob(s->s, i);
	*ret_len = (size_t)sqlite3_column_bytes(s->s, i);
	return p;
}

bool
db_column_is_null(struct db_stmt *s, int i)
{
	return sqlite3_column_type(s->s, i) == SQLITE_NULL;
}

int
db_column_strdup(struct db_stmt *s, int i, char **ret)
{
	const char *t = db_column_text(s, i);
	char *c = NULL;

	if (t) {
		c = strdup(t);
		if (!c)
			return -ENOMEM;
	}
	*ret = c;
	return 0;
}

int
db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		set_errmsg(db, msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return errno_from_sqlite(db->h, sqlite3_extended_errcode(db->h) ?: rc);
	}
	return 0;
}

int64_t
db_changes(struct db *db)
{
	return sqlite3_changes64(db->h);
}

int64_t
db_last_insert_rowid(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

/* --- transactions -------------------------------------------------------------------------- */

int
db_begin_immediate(struct db *db)
{
	char sql[32];
	if (db->txn_depth > 0)
		snprintf(sql, sizeof(sql), "SAVEPOINT gb%u", db->txn_depth);
	int r = db_exec(db, db->txn_depth > 0 ? sql : "BEGIN IMMEDIATE");
	if (r == 0)
		db->txn_depth++;
	return r;
}

int
db_commit(struct db *db)
{
	char sql[32];
	if (db->txn_depth > 1)
		snprintf(sql, sizeof(sql), "RELEASE gb%u", db->txn_depth - 1);
	/* A failed COMMIT leaves the transaction open: the caller's rollback ends it. */
	int r = db_exec(db, db->txn_depth > 1 ? sql : "COMMIT");
	if (r == 0 && db->txn_depth > 0)
		db->txn_depth--;
	return r;
}

void
db_rollback(struct db *db)
{
	char sql[64];
	if (db->txn_depth > 1) {
		/* Undoes this level only; the outer transaction decides. */
		snprintf(sql, sizeof(sql), "ROLLBACK TO gb%u; RELEASE gb%u", db->txn_depth - 1,
			 db->txn_depth - 1);
		(void)sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	} else if (!sqlite3_get_autocommit(db->h))
		/* After some errors (SQLITE_FULL, IOERR, BUSY on COMMIT in rare cases) SQLite has
		 * already rolled back; ROLLBACK would then fail with "no transaction is active". */
		(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	if (db->txn_depth > 0)
		db->txn_depth--;
}

/* --- open and migrate ---------------------------------------------------------------------- */

int
db_user_version(struct db *db)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db, "PRAGMA user_version", &s);
	if (r < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	if (r == 0)
		return -EIO;
	int64_t v = db_column_int64(s, 0);
	return v < 0 || v > INT_MAX ? -EPROTO : (int)v;
}

/* Reads the whole file @name in @dirfd into a NUL-terminated buffer. */
static int
read_text(int dirfd, const char *name, char **ret)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > 16 * 1024 * 1024)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t n = util_read_full(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	if (strlen(buf) != (size_t)n)
		return -EINVAL; /* a NUL byte would silently cut the migration short */
	*ret = TAKE_PTR(buf);
	return 0;
}

static void
closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

/* Finds migrations 1..DB_SCHEMA_VERSION in @schema_dir: files named NNNN_*.sql. Fills names[v]
 * with the file for version v. Exactly one file per version and nothing beyond the known
 * version, or the code and the schema dir disagree about what the tables look like. */
static int
find_migrations(const char *schema_dir, int *ret_dirfd, char names[][NAME_MAX + 1])
{
	_cleanup_(closedirp) DIR *d = opendir(schema_dir);
	struct dirent *de;

	if (!d)
		return log_error_errno(-errno, "Failed to open schema dir %s: %m", schema_dir);
	for (int v = 0; v <= DB_SCHEMA_VERSION; v++)
		names[v][0] = 0;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		if (len < 9 || strcmp(n + len - 4, ".sql") != 0)
			continue;
		if (strspn(n, "0123456789") != 4 || n[4] != '_')
			return log_error_errno(-EPROTO, "Unexpected migration name %s in %s", n,
					       schema_dir);
		int v = atoi(n); /* four digits, cannot overflow */
		if (v < 1 || v > DB_SCHEMA_VERSION)
			return log_error_errno(-EPROTO,
					       "Migration %s is not in 1..%d known to this build",
					       n, DB_SCHEMA_VERSION);
		if (names[v][0])
			return log_error_errno(-EPROTO, "Two migrations for version %d: %s and %s",
					       v, names[v], n);
		snprintf(names[v], NAME_MAX + 1, "%s", n);
	}
	for (int v = 1; v <= DB_SCHEMA_VERSION; v++)
		if (!names[v][0])
			return log_error_errno(-EPROTO, "Migration %04d_*.sql missing from %s", v,
					       schema_dir);
	int fd = dup(dirfd(d));
	if (fd < 0)
		return -errno;
	*ret_dirfd = fd;
	return 0;
}

static int
apply_migration(struct db *db, int dirfd, const char *name, int version)
{
	_cleanup_free_ char *sql = NULL;
	char pragma[64];
	int r;

	r = read_text(dirfd, name, &sql);
	if (r < 0)
		return log_error_errno(r, "Failed to read migration %s: %m", name);

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	/* Another process may have migrated while we waited for the write lock. */
	r = db_user_version(db);
	if (r < 0)
		return r;
	if (r >= version)
		return 0;
	if (r != version - 1)
		return -EPROTO;

	r = db_exec(db, sql);
	if (r < 0)
		return log_error_errno(r, "Migration %s failed: %s", name, db->errmsg);
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	r = db_exec(db, pragma);
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	log_info("Applied migration %s", name);
	return 0;
}

int
db_open(const char *path, const char *schema_dir, struct db **ret)
{
	_cleanup_(db_freep) struct db *db = NULL;
	_cleanup_close_ int dirfd = -1;
	char names[DB_SCHEMA_VERSION + 1][NAME_MAX + 1];
	int r, rc;

	r = find_migrations(schema_dir, &dirfd, names);
	if (r < 0)
		return r;

	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &db->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
				     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK) {
		r = db->h ? fail(db, rc) : -ENOMEM;
		return log_error_errno(r, "Failed to open database %s: %s", path, db->errmsg);
	}
	(void)sqlite3_extended_result_codes(db->h, 1);

	/* busy_timeout first: even the PRAGMAs below may wait for another process's lock. */
	r = db_set_busy_timeout(db, 5000);
	/* WAL: readers (status queries) never block the writer (claims, completions).
	 * synchronous=NORMAL is durable across process crashes in WAL mode, and only the last
	 * transactions can be lost on power failure, which a requeue repairs.
	 *
	 * Switching a fresh file to WAL reads it under a shared lock and then needs an exclusive
	 * one. When two processes do that at once, SQLite answers one of them SQLITE_BUSY at
	 * once, without calling the busy handler, because waiting would deadlock. So the switch
	 * itself is retried, for as long as the busy timeout would have waited. */
	for (int tries = 0; r >= 0; tries++) {
		r = db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				"PRAGMA foreign_keys = ON;");
		if (r != -EBUSY || tries >= 500)
			break;
		r = 0;
		(void)usleep(10000);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to configure database %s: %s", path, db->errmsg);

	r = db_user_version(db);
	if (r < 0)
		return log_error_errno(r, "Failed to read schema version of %s: %s", path,
				       db->errmsg);
	if (r > DB_SCHEMA_VERSION)
		return log_error_errno(
			-EPROTO, "Database %s has schema version %d, newer than this build's %d",
			path, r, DB_SCHEMA_VERSION);
	for (int v = r + 1; v <= DB_SCHEMA_VERSION; v++) {
		r = apply_migration(db, dirfd, names[v], v);
		if (r < 0)
			return log_error_errno(r, "Failed to migrate %s to version %d: %m", path,
					       v);
	}
	*ret = TAKE_PTR(db);
	return 0;
}

struct db *
db_free(struct db *db)
{
	if (!db)
		return NULL;
	/* sqlite3_close_v2: never leaves the handle half-open if a statement leaked. */
	(void)sqlite3_close_v2(db->h);
	free(db);
	return NULL;
}

/* --- catalog ------------------------------------------------------------------------------- */

static bool
is_visibility(const char *v)
{
	return v && (strcmp(v, "visible") == 0 || strcmp(v, "hidden") == 0 ||
		     strcmp(v, "after_due_date") == 0);
}

/* Builds compact JSON for an audit detail with jansson so every string is escaped properly.
 * Takes ownership of @o. */
static char *
json_take_dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

int
db_assignment_add(struct db *db, const char *name, const char *title, const char *spec_json,
		  const char *tests_blob, int64_t due_at, const struct db_test_def *tests,
		  size_t n_tests, const char *by, int64_t *ret_id, int *ret_version)
{
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL;
	_cleanup_(db_stmt_freep) struct db_stmt *ins_test = NULL;
	_cleanup_free_ char *detail = NULL;
	int64_t id, now = db_now_ms(db);
	int r, version;

	if (!name || !spec_json || !tests_blob)
		return -EINVAL;
	for (size_t i = 0; i < n_tests; i++)
		if (!tests[i].name || !is_visibility(tests[i].visibility) ||
		    !(tests[i].points >= 0))
			return -EINVAL;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	/* The version is computed inside the write transaction, so two concurrent uploads of the
	 * same name get 1 and 2 instead of colliding; UNIQUE(name, version) is the backstop. */
	r = db_prepare(
		db,
		"INSERT INTO assignments (name, version, title, spec_json, tests_blob, due_at,"
		"                         created_at)"
		" VALUES (?1, (SELECT coalesce(max(version), 0) + 1 FROM assignments"
		"              WHERE name = ?1), ?2, ?3, ?4, ?5, ?6)"
		" RETURNING id, version",
		&ins);
	if (r < 0)
		return r;
	if ((r = db_bind_text(ins, 1, name)) < 0 || (r = db_bind_text(ins, 2, title)) < 0 ||
	    (r = db_bind_text(ins, 3, spec_json)) < 0 ||
	    (r = db_bind_text(ins, 4, tests_blob)) < 0 ||
	    (r = db_bind_int64_or_null(ins, 5, due_at)) < 0 || (r = db_bind_int64(ins, 6, now)) < 0)
		return r;
	r = db_step(ins);
	if (r < 0)
		return r;
	if (r == 0)
		return -EIO;
	id = db_column_int64(ins, 0);
	version = (int)db_column_int64(ins, 1);
	r = db_step(ins);
	if (r < 0)
		return r;

	r = db_prepare(db,
		       "INSERT INTO tests (assignment_id, ordinal, name, points, visibility)"
		       " VALUES (?, ?, ?, ?, ?)",
		       &ins_test);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_tests; i++) {
		if ((r = db_bind_int64(ins_test, 1, id)) < 0 ||
		    (r = db_bind_int64(ins_test, 2, (int64_t)i)) < 0 ||
		    (r = db_bind_text(ins_test, 3, tests[i].name)) < 0 ||
		    (r = db_bind_double(ins_test, 4, tests[i].points)) < 0 ||
		    (r = db_bind_text(ins_test, 5, tests[i].visibility)) < 0)
			return r;
		r = db_step(ins_test);
		if (r < 0)
			return r;
		r = db_reset(ins_test);
		if (r < 0)
			return r;
	}

	json_t *d = json_pack("{s:s, s:i, s:I, s:s}", "name", name, "version", version,
			      "assignment_id", (json_int_t)id, "tests_blob", tests_blob);
	if (d && by)
		json_object_set_new(d, "by", json_string(by));
	detail = json_take_dump(d);
	if (!detail)
		return -ENOMEM;
	r = db_audit_append(db, "assignment_add", 0, 0, 0, detail);
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	if (ret_id)
		*ret_id = id;
	if (ret_version)
		*ret_version = version;
	return 0;
}

/* Runs a query with up to two bound values that returns one id. */
static int
find_id(struct db *db, const char *sql, const char *text, int64_t num, int64_t *ret_id)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db, sql, &s);
	if (r < 0)
		return r;
	if ((r = db_bind_text(s, 1, text)) < 0 || (r = db_bind_int64(s, 2, num)) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	if (r == 0 || db_column_is_null(s, 0))
		return -ENOENT;
	*ret_id = db_column_int64(s, 0);
	return 0;
}

int
db_assignment_find(struct db *db, const char *name, int version, int64_t *ret_id)
{
	return find_id(db,
		       "SELECT id FROM assignments WHERE name = ?1 AND (?2 = 0 OR version = ?2)"
		       " ORDER BY version DESC LIMIT 1",
		       name, version, ret_id);
}

int
db_student_find(struct db *db, const char *login, int64_t *ret_id)
{
	return find_id(db, "SELECT id FROM students WHERE login = ?1 AND ?2 = 0", login, 0, ret_id);
}

int
db_student_ensure(struct db *db, const char *login, const char *display_name, int64_t *ret_id)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r;

	if (!login)
		return -EINVAL;
	/* The no-op DO UPDATE makes RETURNING yield the existing row's id too, in one statement. */
	r = db_prepare(db,
		       "INSERT INTO students (login, display_name, created_at) VALUES (?, ?, ?)"
		       " ON CONFLICT (login) DO UPDATE SET login = excluded.login RETURNING id",
		       &s);
	if (r < 0)
		return r;
	if ((r = db_bind_text(s, 1, login)) < 0 || (r = db_bind_text(s, 2, display_name)) < 0 ||
	    (r = db_bind_int64(s, 3, db_now_ms(db))) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	if (r == 0)
		return -EIO;
	*ret_id = db_column_int64(s, 0);
	r = db_step(s);
	return r < 0 ? r : 0;
}

static bool
is_sha256_hex(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int
db_submission_add(struct db *db, int64_t student_id, int64_t assignment_id, const char *sha256,
		  uint64_t size, const char *original_name, const char *blob_path, const char *by,
		  int64_t *ret_id)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	_cleanup_free_ char *detail = NULL;
	int64_t id;
	int r;

	if (!is_sha256_hex(sha256) || !blob_path || size > INT64_MAX)
		return -EINVAL;
	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	r = db_prepare(db,
		       "INSERT INTO submissions (student_id, assignment_id, sha256, size,"
		       "                         original_name, blob_path, created_at)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?)",
		       &s);
	if (r < 0)
		return r;
	if ((r = db_bind_int64(s, 1, student_id)) < 0 ||
	    (r = db_bind_int64(s, 2, assignment_id)) < 0 || (r = db_bind_text(s, 3, sha256)) < 0 ||
	    (r = db_bind_int64(s, 4, (int64_t)size)) < 0 ||
	    (r = db_bind_text(s, 5, original_name)) < 0 ||
	    (r = db_bind_text(s, 6, blob_path)) < 0 || (r = db_bind_int64(s, 7, db_now_ms(db))) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	id = db_last_insert_rowid(db);

	json_t *d = json_pack("{s:s, s:I, s:I}", "sha256", sha256, "size", (json_int_t)size,
			      "assignment_id", (json_int_t)assignment_id);
	if (d && by)
		json_object_set_new(d, "by", json_string(by));
	detail = json_take_dump(d);
	if (!detail)
		return -ENOMEM;
	r = db_audit_append(db, "submission_add", id, 0, student_id, detail);
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	*ret_id = id;
	return 0;
}

int
db_batch_add(struct db *db, int64_t assignment_id, const char *kind, const char *created_by,
	     const char *note, int64_t *ret_id)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db,
			   "INSERT INTO batches (assignment_id, kind, created_by, note, created_at)"
			   " VALUES (?, ?, ?, ?, ?)",
			   &s);
	if (r < 0)
		return r;
	if ((r = db_bind_int64_or_null(s, 1, assignment_id)) < 0 ||
	    (r = db_bind_text(s, 2, kind)) < 0 || (r = db_bind_text(s, 3, created_by)) < 0 ||
	    (r = db_bind_text(s, 4, note)) < 0 || (r = db_bind_int64(s, 5, db_now_ms(db))) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	*ret_id = db_last_insert_rowid(db);
	return 0;
}

/* --- audit --------------------------------------------------------------------------------- */

/* The hashed content of a row: every column but id and hash, NULLs as empty fields. A field
 * separator that cannot occur in the numbers, and JSON that cannot hold a raw newline, make
 * the encoding unambiguous. */
static void
audit_hash(const char *prev, int64_t ts, const char *kind, int64_t sub, int64_t job, int64_t stu,
	   const char *detail, char ret[65])
{
	_cleanup_free_ char *buf = NULL;
	int n = asprintf(&buf,
			 "gradebox-audit-v1\n%s\n%" PRIi64 "\n%s\n%" PRIi64 "\n%" PRIi64
			 "\n%" PRIi64 "\n%s",
			 prev ? prev : "", ts, kind, sub, job, stu, detail);
	if (n < 0) {
		/* An all-zero hash never matches: the append fails its CHECK, verify reports it. */
		memset(ret, '0', 64);
		ret[64] = 0;
		return;
	}
	db_sha256_hex(buf, (size_t)n, ret);
}

int
db_audit_append(struct db *db, const char *kind, int64_t submission_id, int64_t job_id,
		int64_t student_id, const char *detail_json)
{
	_cleanup_(db_stmt_freep) struct db_stmt *last = NULL;
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL;
	_cleanup_free_ char *prev = NULL;
	const char *detail = detail_json ? detail_json : "{}";
	int64_t ts = db_now_ms(db);
	char hash[65];
	int r;

	if (!kind)
		return -EINVAL;
	if (sqlite3_get_autocommit(db->h)) {
		set_errmsg(db, "audit row outside a transaction");
		return -EINVAL; /* programmer error, but the chain must not fork */
	}
	r = db_prepare(db, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1", &last);
	if (r < 0)
		return r;
	r = db_step(last);
	if (r < 0)
		return r;
	if (r > 0) {
		r = db_column_strdup(last, 0, &prev);
		if (r < 0)
			return r;
	}
	audit_hash(prev, ts, kind, submission_id, job_id, student_id, detail, hash);

	r = db_prepare(db,
		       "INSERT INTO audit (ts, kind, submission_id, job_id, student_id, detail,"
		       "                   prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		       &ins);
	if (r < 0)
		return r;
	if ((r = db_bind_int64(ins, 1, ts)) < 0 || (r = db_bind_text(ins, 2, kind)) < 0 ||
	    (r = db_bind_int64_or_null(ins, 3, submission_id)) < 0 ||
	    (r = db_bind_int64_or_null(ins, 4, job_id)) < 0 ||
	    (r = db_bind_int64_or_null(ins, 5, student_id)) < 0 ||
	    (r = db_bind_text(ins, 6, detail)) < 0 || (r = db_bind_text(ins, 7, prev)) < 0 ||
	    (r = db_bind_text(ins, 8, hash)) < 0)
		return r;
	r = db_step(ins);
	return r < 0 ? r : 0;
}

int
db_audit_verify(struct db *db, int64_t *reterr_id)
{
	int64_t rows = 0, bad = 0;
	char why[160];
	int r = db_audit_check(db, &rows, &bad, why, sizeof(why));
	if (r == -EBADMSG && reterr_id)
		*reterr_id = bad;
	return r;
}

/* --- SHA-256: nettle, through hash.c ------------------------------------------------------- */

void
db_sha256_hex(const void *data, size_t len, char ret[65])
{
	hash_sha256_hex(data, len, ret);
}

/* --- added for the audit API --------------------------------------------------------------- */

int
db_audit_list(struct db *db, const struct db_audit_filter *f, db_audit_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r, n = 0,
	       limit = f->limit > 0 && f->limit < DB_AUDIT_LIST_MAX ? f->limit : DB_AUDIT_LIST_MAX;

	/* Rows written by the queue name only the submission: the student comes from there. The
	 * inner query takes the newest @limit rows, the outer one puts them back in order. */
	r = db_prepare(db,
		       "SELECT * FROM ("
		       " SELECT a.id, a.ts, a.kind, coalesce(a.submission_id, 0),"
		       "        coalesce(a.job_id, 0), coalesce(st.login, st2.login), a.detail,"
		       "        a.hash, a.prev_hash"
		       " FROM audit a LEFT JOIN students st ON st.id = a.student_id"
		       "      LEFT JOIN submissions s ON s.id = a.submission_id"
		       "      LEFT JOIN students st2 ON st2.id = s.student_id"
		       " WHERE (?1 = 0 OR a.submission_id = ?1) AND (?2 = 0 OR a.job_id = ?2)"
		       "   AND (?3 IS NULL OR coalesce(st.login, st2.login) = ?3)"
		       "   AND (?4 IS NULL OR a.kind = ?4) AND (?5 = 0 OR a.ts >= ?5)"
		       "   AND (?6 = 0 OR a.ts < ?6)"
		       " ORDER BY a.id DESC LIMIT ?7) ORDER BY 1",
		       &s);
	if (r < 0)
		return r;
	if ((r = db_bind_int64(s, 1, f->submission_id)) < 0 ||
	    (r = db_bind_int64(s, 2, f->job_id)) < 0 || (r = db_bind_text(s, 3, f->student)) < 0 ||
	    (r = db_bind_text(s, 4, f->kind)) < 0 || (r = db_bind_int64(s, 5, f->since_ms)) < 0 ||
	    (r = db_bind_int64(s, 6, f->until_ms)) < 0 || (r = db_bind_int64(s, 7, limit)) < 0)
		return r;
	while ((r = db_step(s)) > 0) {
		struct db_audit_row row = {
			.id = db_column_int64(s, 0),
			.ts = db_column_int64(s, 1),
			.kind = db_column_text(s, 2),
			.submission_id = db_column_int64(s, 3),
			.job_id = db_column_int64(s, 4),
			.student = db_column_text(s, 5),
			.detail = db_column_text(s, 6),
			.hash = db_column_text(s, 7),
			.prev_hash = db_column_text(s, 8),
		};
		r = cb(&row, userdata);
		if (r < 0)
			return r;
		n++;
	}
	return r < 0 ? r : n;
}

int
db_audit_check(struct db *db, int64_t *ret_rows, int64_t *reterr_id, char *reterr_reason,
	       size_t reason_size)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	_cleanup_free_ char *prev = NULL;
	int64_t rows = 0, prev_id = 0;
	int r;

	/* Walks the chain, telling apart an edited row (its own hash is wrong) from a removed or
	 * inserted one (it no longer links to its predecessor). */
	r = db_prepare(db,
		       "SELECT id, ts, kind, coalesce(submission_id, 0), coalesce(job_id, 0),"
		       "       coalesce(student_id, 0), detail, prev_hash, hash"
		       " FROM audit ORDER BY id",
		       &s);
	if (r < 0)
		return r;
	while ((r = db_step(s)) > 0) {
		char want[65];
		const char *prev_col = db_column_text(s, 7), *hash = db_column_text(s, 8);
		int64_t id = db_column_int64(s, 0);

		audit_hash(prev, db_column_int64(s, 1), db_column_text(s, 2), db_column_int64(s, 3),
			   db_column_int64(s, 4), db_column_int64(s, 5), db_column_text(s, 6),
			   want);
		if ((prev_col == NULL) != (prev == NULL) || (prev && strcmp(prev, prev_col) != 0)) {
			*reterr_id = id;
			if (prev_id)
				snprintf(reterr_reason, reason_size,
					 "prev_hash does not match the hash of row %" PRIi64
					 " (a row was removed, inserted or rewritten)",
					 prev_id);
			else
				snprintf(reterr_reason, reason_size,
					 "the first row has a prev_hash (earlier rows were "
					 "removed)");
			return -EBADMSG;
		}
		if (!hash || strcmp(hash, want) != 0) {
			*reterr_id = id;
			snprintf(reterr_reason, reason_size,
				 "stored hash does not match the row's content (the row was "
				 "modified)");
			return -EBADMSG;
		}
		free(prev);
		prev = strdup(hash);
		if (!prev)
			return -ENOMEM;
		prev_id = id;
		rows++;
	}
	if (r < 0)
		return r;
	*ret_rows = rows;
	return 0;
}

int
db_audit_record(struct db *db, const char *kind, int64_t submission_id, int64_t job_id,
		int64_t student_id, const char *detail_json)
{
	int r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;
	r = db_audit_append(db, kind, submission_id, job_id, student_id, detail_json);
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	return 0;
}
