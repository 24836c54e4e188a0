/* SPDX-License-Identifier: MIT */
/* grader/db.c against real SQLite files in a temporary directory: migrations, PRAGMAs, foreign
 * keys, the append-only hash-chained audit trail, the catalog and the SHA-256 helper. */
#include "db.h"
#include "schema.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

struct tmp {
	char dir[64];
	char db[128];
};

static void
tmp_done(struct tmp *t)
{
	if (t->dir[0])
		(void)util_rm_rf(t->dir);
}

static int
tmp_make(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/gradebox-test-db.XXXXXX");
	if (!mkdtemp(t->dir)) {
		t->dir[0] = 0;
		return -errno;
	}
	snprintf(t->db, sizeof(t->db), "%s/g.db", t->dir);
	return 0;
}

static int64_t
count(struct db *db, const char *sql)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	if (db_prepare(db, sql, &s) < 0 || db_step(s) != 1)
		return -1;
	return db_column_int64(s, 0);
}

static const char *
text1(struct db *db, const char *sql, char *buf, size_t size)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	if (db_prepare(db, sql, &s) < 0 || db_step(s) != 1 || !db_column_text(s, 0))
		return NULL;
	snprintf(buf, size, "%s", db_column_text(s, 0));
	return buf;
}

#define SHA_A  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_68 SHA_A "aaaa" /* four digits too many */

/* A student, a two-test assignment and one submission. */
static int
seed(struct db *db, int64_t *ret_student, int64_t *ret_assignment, int64_t *ret_submission)
{
	static const struct db_test_def tests[] = {
		{"t1", 1, "visible"},
		{"t2", 2.5, "hidden"},
	};
	int r = db_student_ensure(db, "alice", "Alice", ret_student);
	if (r < 0)
		return r;
	r = db_assignment_add(db, "hello", "Hello", "{\"name\":\"hello\"}", "blobs/ab/cdef", 0,
			      tests, 2, NULL, ret_assignment, NULL);
	if (r < 0)
		return r;
	return db_submission_add(db, *ret_student, *ret_assignment, SHA_A, 123, "hello.tar.gz",
				 "blobs/aa/aaaa", "staff@192.0.2.1", ret_submission);
}

static int
t_migrations_apply_and_are_idempotent(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	CHECK(tmp_make(&t) == 0);
	{
		_cleanup_(db_freep) struct db *db = NULL;
		CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
		CHECK_EQ_INT(db_user_version(db), DB_SCHEMA_VERSION);
		CHECK_EQ_INT(
			count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name"
				  " IN ('assignments', 'tests', 'students', 'submissions',"
				  "     'batches', 'jobs', 'test_results', 'verdicts', 'audit')"),
			9);
		CHECK_EQ_INT(count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
			     2);
		/* STRICT: a text in an INTEGER column is refused instead of stored. */
		CHECK_EQ_INT(
			db_exec(db, "INSERT INTO students (login, created_at) VALUES ('x', 'y')"),
			-EINVAL);
	}
	for (int i = 0; i < 2; i++) {
		_cleanup_(db_freep) struct db *db = NULL;
		CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
		CHECK_EQ_INT(db_user_version(db), DB_SCHEMA_VERSION);
		CHECK_EQ_INT(count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				       " AND name = 'jobs'"),
			     1);
	}
	return 0;
}

/* Several servers starting at once on a fresh file: none fails, and each migration is applied
 * exactly once. The race is narrow (about one round in thirty lost it before the WAL switch was
 * retried), so it is run on several fresh files. */
static int
t_concurrent_open_migrates_once(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	pid_t pid[8];
	int status;

	CHECK(tmp_make(&t) == 0);
	for (int round = 0; round < 16; round++) {
		_cleanup_(db_freep) struct db *db = NULL;
		char path[sizeof(t.dir) + 16];
		int failed = 0;

		snprintf(path, sizeof(path), "%s/g%d.db", t.dir, round);
		for (size_t i = 0; i < ELEMENTSOF(pid); i++) {
			pid[i] = fork();
			if (pid[i] == 0) {
				struct db *d = NULL;
				int r = db_open(path, test_schema_dir(), &d);
				db_free(d);
				_exit(r < 0 ? 1 : 0);
			}
		}
		/* Reap every child before judging: a failed check must not remove the
		 * directory under the ones still running. */
		for (size_t i = 0; i < ELEMENTSOF(pid); i++)
			if (pid[i] < 0 || waitpid(pid[i], &status, 0) != pid[i] ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				failed++;
		CHECK_EQ_INT(failed, 0);
		CHECK_EQ_INT(db_open(path, test_schema_dir(), &db), 0);
		CHECK_EQ_INT(db_user_version(db), DB_SCHEMA_VERSION);
	}
	return 0;
}

static int
t_unopenable_path(void)
{
	struct db *db = NULL;
	CHECK_EQ_INT(db_open("/nonexistent-gradebox-dir/g.db", test_schema_dir(), &db), -ENOENT);
	CHECK(db == NULL);
	return 0;
}

static int
t_pragmas(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	_cleanup_(db_freep) struct db *db = NULL;
	char buf[32];

	CHECK(tmp_make(&t) == 0);
	CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
	CHECK_STREQ(text1(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	CHECK_EQ_INT(count(db, "PRAGMA foreign_keys"), 1);
	CHECK_EQ_INT(count(db, "PRAGMA synchronous"), 1); /* NORMAL */
	CHECK_EQ_INT(count(db, "PRAGMA busy_timeout"), 5000);
	return 0;
}

static int
t_newer_database_refused(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	CHECK(tmp_make(&t) == 0);
	{
		_cleanup_(db_freep) struct db *db = NULL;
		CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
		CHECK_EQ_INT(db_exec(db, "PRAGMA user_version = 99"), 0);
	}
	struct db *db = NULL;
	CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), -EPROTO);
	CHECK(db == NULL);
	return 0;
}

static int
write_file(const char *dir, const char *name, const char *content)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, content, strlen(content));
}

static int
t_schema_dir_must_match(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	struct db *db = NULL;
	char sd[128];

	CHECK(tmp_make(&t) == 0);
	snprintf(sd, sizeof(sd), "%s/schema", t.dir);
	CHECK_EQ_INT(db_open(t.db, sd, &db), -ENOENT);
	CHECK(mkdir(sd, 0755) == 0);
	CHECK(write_file(sd, "0001_init.sql", "CREATE TABLE a (x INTEGER) STRICT;") == 0);
	/* 0002 missing */
	CHECK_EQ_INT(db_open(t.db, sd, &db), -EPROTO);
	CHECK(write_file(sd, "0002_more.sql", "CREATE TABLE b (x INTEGER) STRICT;") == 0);
	CHECK(write_file(sd, "0003_future.sql", "CREATE TABLE c (x INTEGER) STRICT;") == 0);
	CHECK_EQ_INT(db_open(t.db, sd, &db), -EPROTO);
	CHECK(db == NULL);
	return 0;
}

static int
t_failed_migration_rolls_back(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	_cleanup_(db_freep) struct db *db = NULL;
	char sd[128];

	CHECK(tmp_make(&t) == 0);
	snprintf(sd, sizeof(sd), "%s/schema", t.dir);
	CHECK(mkdir(sd, 0755) == 0);
	CHECK(write_file(sd, "0001_init.sql", "CREATE TABLE a (x INTEGER) STRICT;") == 0);
	CHECK(write_file(sd, "0002_bad.sql", "CREATE TABLE b (x INTEGER) STRICT; SYNTAX ERROR;") ==
	      0);
	CHECK(db_open(t.db, sd, &db) < 0);
	/* Version 1 stuck and version 2 left nothing behind: a fixed 0002 that creates the same
	 * table applies cleanly on top. */
	CHECK(write_file(sd, "0002_bad.sql", "CREATE TABLE b (x INTEGER) STRICT;") == 0);
	CHECK_EQ_INT(db_open(t.db, sd, &db), 0);
	CHECK_EQ_INT(db_user_version(db), 2);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')"), 2);
	return 0;
}

static int
t_foreign_keys_enforced(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	_cleanup_(db_freep) struct db *db = NULL;
	int64_t sub;

	CHECK(tmp_make(&t) == 0);
	CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
	CHECK_EQ_INT(db_submission_add(db, 42, 43, SHA_A, 1, NULL, "b", NULL, &sub), -ENOENT);
	CHECK_EQ_INT(db_exec(db,
			     "INSERT INTO tests (assignment_id, ordinal, name, points, visibility)"
			     " VALUES (7, 0, 'x', 1, 'visible')"),
		     -ENOENT);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM audit"), 0); /* rolled back with the insert */
	return 0;
}

static int
t_audit_append_only_and_chained(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	_cleanup_(db_freep) struct db *db = NULL;
	int64_t stu, asg, sub, bad = 0;

	CHECK(tmp_make(&t) == 0);
	CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
	CHECK_EQ_INT(seed(db, &stu, &asg, &sub), 0);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM audit"), 2);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM audit WHERE prev_hash IS NULL"), 1);
	CHECK_EQ_INT(db_audit_verify(db, &bad), 0);

	CHECK_EQ_INT(db_exec(db, "UPDATE audit SET kind = 'forged'"), -EPERM);
	CHECK(strstr(db_errmsg(db), "append-only"));
	CHECK_EQ_INT(db_exec(db, "DELETE FROM audit"), -EPERM);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM audit"), 2);

	/* Outside a transaction the chain could fork between two writers: refused. */
	CHECK_EQ_INT(db_audit_append(db, "x", 0, 0, 0, NULL), -EINVAL);
	CHECK_EQ_INT(db_begin_immediate(db), 0);
	CHECK_EQ_INT(db_audit_append(db, "note", sub, 0, stu, "{\"a\":1}"), 0);
	CHECK_EQ_INT(db_audit_append(db, "note", 0, 0, 0, "not json"), -EINVAL);
	CHECK_EQ_INT(db_commit(db), 0);
	CHECK_EQ_INT(db_audit_verify(db, &bad), 0);

	/* Someone with file access drops the trigger and edits history: the chain shows it. */
	CHECK_EQ_INT(db_exec(db, "DROP TRIGGER audit_no_update;"
				 "UPDATE audit SET detail = '{\"a\":2}' WHERE kind = 'note'"),
		     0);
	CHECK_EQ_INT(db_audit_verify(db, &bad), -EBADMSG);
	CHECK_EQ_INT(bad, 3);

	/* db_audit_check says what is wrong: an edited row, then a removed one. */
	char why[160] = "";
	int64_t rows = 0;
	bad = 0;
	CHECK_EQ_INT(db_audit_check(db, &rows, &bad, why, sizeof(why)), -EBADMSG);
	CHECK_EQ_INT(bad, 3);
	CHECK(strstr(why, "modified"));
	CHECK_EQ_INT(db_exec(db, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2;"
				 "UPDATE audit SET detail = '{\"a\":1}' WHERE id = 3"),
		     0);
	CHECK_EQ_INT(db_audit_check(db, &rows, &bad, why, sizeof(why)), -EBADMSG);
	CHECK_EQ_INT(bad, 3);
	CHECK(strstr(why, "prev_hash"));
	return 0;
}

static int
t_assignment_versions(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	_cleanup_(db_freep) struct db *db = NULL;
	struct db_test_def tests[] = {{"a", 1, "visible"}, {"b", 0, "after_due_date"}};
	struct db_test_def dup[] = {{"a", 1, "visible"}, {"a", 2, "visible"}};
	struct db_test_def badvis[] = {{"a", 1, "secret"}};
	int64_t id1, id2, found;
	int v1, v2;

	CHECK(tmp_make(&t) == 0);
	CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
	CHECK_EQ_INT(db_assignment_add(db, "hw", NULL, "{}", "b1", 0, tests, 2, NULL, &id1, &v1),
		     0);
	CHECK_EQ_INT(db_assignment_add(db, "hw", "HW", "{}", "b2", 1700000000000, tests, 1, NULL,
				       &id2, &v2),
		     0);
	CHECK_EQ_INT(v1, 1);
	CHECK_EQ_INT(v2, 2);
	CHECK_EQ_INT(db_assignment_find(db, "hw", 0, &found), 0);
	CHECK_EQ_INT(found, id2);
	CHECK_EQ_INT(db_assignment_find(db, "hw", 1, &found), 0);
	CHECK_EQ_INT(found, id1);
	CHECK_EQ_INT(db_assignment_find(db, "hw", 3, &found), -ENOENT);
	CHECK_EQ_INT(db_assignment_find(db, "nope", 0, &found), -ENOENT);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM tests"), 3);

	/* A duplicate test name rolls back the whole version. */
	CHECK_EQ_INT(db_assignment_add(db, "hw", NULL, "{}", "b3", 0, dup, 2, NULL, NULL, NULL),
		     -EEXIST);
	CHECK_EQ_INT(db_assignment_add(db, "hw", NULL, "{}", "b3", 0, badvis, 1, NULL, NULL, NULL),
		     -EINVAL);
	CHECK_EQ_INT(db_assignment_add(db, "hw", NULL, "{bad", "b3", 0, tests, 1, NULL, NULL, NULL),
		     -EINVAL);
	CHECK_EQ_INT(count(db, "SELECT max(version) FROM assignments"), 2);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM tests"), 3);
	return 0;
}

static int
t_students_and_submissions(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	_cleanup_(db_freep) struct db *db = NULL;
	int64_t stu, again, found, asg, sub;

	CHECK(tmp_make(&t) == 0);
	CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
	CHECK_EQ_INT(seed(db, &stu, &asg, &sub), 0);
	CHECK_EQ_INT(db_student_ensure(db, "alice", NULL, &again), 0);
	CHECK_EQ_INT(again, stu);
	CHECK_EQ_INT(db_student_find(db, "alice", &found), 0);
	CHECK_EQ_INT(found, stu);
	CHECK_EQ_INT(db_student_find(db, "bob", &found), -ENOENT);
	CHECK_EQ_INT(db_submission_add(db, stu, asg, "ABC", 1, NULL, "b", NULL, &sub), -EINVAL);
	CHECK_EQ_INT(db_submission_add(db, stu, asg, SHA_68, 1, NULL, "b", NULL, &sub), -EINVAL);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM submissions"), 1);
	/* Who uploaded it is in its audit row; the assignment's row has none (NULL given). */
	char by[64];
	CHECK(text1(db,
		    "SELECT json_extract(detail, '$.by') FROM audit WHERE kind = 'submission_add'",
		    by, sizeof(by)));
	CHECK_STREQ(by, "staff@192.0.2.1");
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM audit WHERE kind = 'assignment_add'"
			       " AND json_extract(detail, '$.by') IS NULL"),
		     1);
	return 0;
}

/* Nested transactions: an outer rollback undoes an inner commit (a submission and its job
 * are recorded together or not at all); an inner rollback undoes only its own level. */
static int
t_nested_transactions(void)
{
	_cleanup_(tmp_done) struct tmp t = {0};
	_cleanup_(db_freep) struct db *db = NULL;
	int64_t stu, asg, sub, sub2;

	CHECK(tmp_make(&t) == 0);
	CHECK_EQ_INT(db_open(t.db, test_schema_dir(), &db), 0);
	CHECK_EQ_INT(seed(db, &stu, &asg, &sub), 0);
	int64_t audit = count(db, "SELECT count(*) FROM audit");

	/* The inner function commits; the outer transaction is rolled back: nothing stays. */
	CHECK_EQ_INT(db_begin_immediate(db), 0);
	CHECK_EQ_INT(db_submission_add(db, stu, asg, SHA_A, 1, NULL, "b", NULL, &sub2), 0);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM submissions"), 2);
	db_rollback(db);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM submissions"), 1);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM audit"), audit);

	/* The inner level fails (a bad argument makes no transaction; a foreign key does); the
	 * outer one still commits what it did itself. */
	CHECK_EQ_INT(db_begin_immediate(db), 0);
	CHECK_EQ_INT(db_submission_add(db, stu, asg, SHA_A, 1, NULL, "c", NULL, &sub2), 0);
	CHECK(db_submission_add(db, stu, 999999, SHA_A, 1, NULL, "d", NULL, &sub2) < 0);
	CHECK_EQ_INT(db_commit(db), 0);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM submissions"), 2);
	CHECK_EQ_INT(count(db, "SELECT count(*) FROM submissions WHERE blob_path = 'd'"), 0);

	/* Back at depth 0: a plain transaction works as before. */
	CHECK_EQ_INT(db_begin_immediate(db), 0);
	CHECK_EQ_INT(db_commit(db), 0);
	return 0;
}

static int
t_sha256_vectors(void)
{
	char h[65];
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	_cleanup_free_ char *million = malloc(1000000);

	db_sha256_hex("", 0, h);
	CHECK_STREQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	db_sha256_hex("abc", 3, h);
	CHECK_STREQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	db_sha256_hex(m, strlen(m), h);
	CHECK_STREQ(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK(million);
	memset(million, 'a', 1000000);
	db_sha256_hex(million, 1000000, h);
	CHECK_STREQ(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	return 0;
}

TAP_MAIN(TAP_TEST(t_migrations_apply_and_are_idempotent), TAP_TEST(t_concurrent_open_migrates_once),
	 TAP_TEST(t_unopenable_path), TAP_TEST(t_pragmas), TAP_TEST(t_newer_database_refused),
	 TAP_TEST(t_schema_dir_must_match), TAP_TEST(t_failed_migration_rolls_back),
	 TAP_TEST(t_foreign_keys_enforced), TAP_TEST(t_audit_append_only_and_chained),
	 TAP_TEST(t_assignment_versions), TAP_TEST(t_students_and_submissions),
	 TAP_TEST(t_nested_transactions), TAP_TEST(t_sha256_vectors))
