/* SPDX-License-Identifier: MIT */
/* grader/queue.c against real SQLite files: atomic claims under two racing processes, lease
 * expiry, exactly-once completion, failure and retry, cancel, status and export queries, and
 * what happens when the database is read-only or locked. */
#include "db.h"
#include "queue.h"
#include "schema.h"
#include "tap.h"
#include "util.h"

#include <limits.h>
#include <sys/wait.h>

/* A temp dir with a migrated database holding one student, one 3-test assignment and
 * one submission. */
struct fx {
	char dir[64];
	char path[128];
	struct db *db;
	int64_t student, assignment, submission;
};

static void
fx_done(struct fx *f)
{
	db_free(f->db);
	if (f->dir[0])
		(void)util_rm_rf(f->dir);
}

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int
fx_make(struct fx *f)
{
	static const struct db_test_def tests[] = {
		{"one", 1, "visible"},
		{"two", 2, "hidden"},
		{"three", 3, "after_due_date"},
	};
	int r;

	snprintf(f->dir, sizeof(f->dir), "/tmp/gradebox-test-queue.XXXXXX");
	if (!mkdtemp(f->dir)) {
		f->dir[0] = 0;
		return -errno;
	}
	snprintf(f->path, sizeof(f->path), "%s/g.db", f->dir);
	if ((r = db_open(f->path, test_schema_dir(), &f->db)) < 0 ||
	    (r = db_student_ensure(f->db, "alice", NULL, &f->student)) < 0 ||
	    (r = db_assignment_add(f->db, "hw1", "Homework 1", "{\"name\":\"hw1\"}", "blobs/hw1", 0,
				   tests, 3, NULL, &f->assignment, NULL)) < 0 ||
	    (r = db_submission_add(f->db, f->student, f->assignment, SHA, 10, "a.tar", "blobs/s1",
				   NULL, &f->submission)) < 0)
		return r;
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

static const struct queue_test_result all_ok[] = {
	{.test_name = "one", .status = "OK", .verdict = "AC", .score = 1, .exit_code = 0},
	{.test_name = "two",
	 .status = "OK",
	 .verdict = "WA",
	 .score = 0,
	 .exit_code = 0,
	 .message = "line 1 differs"},
	{.test_name = "three",
	 .status = "SG",
	 .verdict = "SG",
	 .score = 0,
	 .exit_code = -1,
	 .signal = 11},
};

static const struct queue_outcome outcome_wa = {
	.verdict = "WA",
	.score = 1,
	.max_score = 6,
	.tests = all_ok,
	.n_tests = 3,
};

static int
t_enqueue_claim_complete(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	_cleanup_(queue_job_clear) struct queue_job job = {0};
	int64_t id;

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &id), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, 9999, 0, NULL), -ENOENT);
	CHECK_EQ_INT(queue_claim(f.db, "w1", 60000, &job), 1);
	CHECK_EQ_INT(job.id, id);
	CHECK_EQ_INT(job.attempt, 1);
	CHECK_EQ_INT(job.student_id, f.student);
	CHECK_EQ_INT(job.assignment_id, f.assignment);
	CHECK_STREQ(job.sha256, SHA);
	CHECK_STREQ(job.blob_path, "blobs/s1");
	CHECK_STREQ(job.tests_blob, "blobs/hw1");
	CHECK_STREQ(job.kind, "grade");
	CHECK_STREQ(job.owner, "w1");

	struct queue_job none = {0};
	CHECK_EQ_INT(queue_claim(f.db, "w2", 60000, &none), 0); /* nothing else queued */

	CHECK_EQ_INT(queue_mark_phase(f.db, &job, QUEUE_PHASE_UNPACKED), 0);
	CHECK_EQ_INT(queue_mark_phase(f.db, &job, QUEUE_PHASE_BUILT), 0);
	CHECK_EQ_INT(queue_heartbeat(f.db, &job, 60000), 0);
	CHECK_EQ_INT(queue_complete(f.db, &job, &outcome_wa), 0);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM test_results"), 3);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM verdicts WHERE verdict = 'WA'"), 1);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE state = 'done' AND"
				 " lease_owner IS NULL AND unpacked_at > 0 AND built_at > 0 AND"
				 " finished_at >= started_at"),
		     1);
	/* Completing twice is refused: the lease is gone. */
	CHECK_EQ_INT(queue_complete(f.db, &job, &outcome_wa), -ESTALE);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM verdicts"), 1);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM audit WHERE kind IN ('grade', 'claim',"
				 " 'complete')"),
		     3);
	CHECK_EQ_INT(db_audit_verify(f.db, NULL), 0);
	return 0;
}

static int
t_priority_then_fifo(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	int64_t low, high, low2;

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &low), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 5, &high), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &low2), 0);
	int64_t want[] = {high, low, low2};
	for (size_t i = 0; i < 3; i++) {
		_cleanup_(queue_job_clear) struct queue_job job = {0};
		CHECK_EQ_INT(queue_claim(f.db, "w", 1000, &job), 1);
		CHECK_EQ_INT(job.id, want[i]);
	}
	return 0;
}

/* Claims until the queue is empty, writing each job id to @fd. */
static int
claimer(const char *path, const char *owner, int fd)
{
	_cleanup_(db_freep) struct db *db = NULL;
	int r = db_open(path, test_schema_dir(), &db);
	if (r < 0)
		return 2;
	for (;;) {
		_cleanup_(queue_job_clear) struct queue_job job = {0};
		r = queue_claim(db, owner, 600000, &job);
		if (r < 0)
			return 3;
		if (r == 0)
			return 0;
		if (util_write_all(fd, &job.id, sizeof(job.id)) < 0)
			return 4;
	}
}

static int
t_claim_is_atomic_between_processes(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	enum {
		N = 300
	};
	int p[2], status;
	pid_t pid[2];
	unsigned char seen[N + 1] = {0};
	int64_t first = 0, id;

	CHECK_EQ_INT(fx_make(&f), 0);
	for (int i = 0; i < N; i++) {
		CHECK_EQ_INT(queue_enqueue(f.db, f.submission, i % 3, &id), 0);
		if (!first)
			first = id;
	}
	f.db = db_free(f.db); /* no connection across fork() */

	CHECK(pipe(p) == 0);
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		CHECK(pid[c] >= 0);
		if (pid[c] == 0) {
			close(p[0]);
			_exit(claimer(f.path, c ? "B" : "A", p[1]));
		}
	}
	close(p[1]);
	size_t total = 0;
	int64_t got;
	while (read(p[0], &got, sizeof(got)) == sizeof(got)) {
		CHECK(got >= first && got < first + N);
		CHECK_EQ_INT(seen[got - first], 0); /* claimed twice */
		seen[got - first] = 1;
		total++;
	}
	close(p[0]);
	for (int c = 0; c < 2; c++) {
		CHECK(waitpid(pid[c], &status, 0) == pid[c]);
		CHECK(WIFEXITED(status));
		CHECK_EQ_INT(WEXITSTATUS(status), 0);
	}
	CHECK_EQ_INT(total, N);

	CHECK_EQ_INT(db_open(f.path, test_schema_dir(), &f.db), 0);
	CHECK_EQ_INT(
		count(f.db, "SELECT count(*) FROM jobs WHERE state = 'running' AND attempts = 1"),
		N);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM audit WHERE kind = 'claim'"), N);
	CHECK_EQ_INT(db_audit_verify(f.db, NULL), 0);
	return 0;
}

static int
t_lease_expiry_and_stale_completion(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	_cleanup_(queue_job_clear) struct queue_job a = {0};
	_cleanup_(queue_job_clear) struct queue_job b = {0};
	int64_t t0 = 1700000000000, id;

	CHECK_EQ_INT(fx_make(&f), 0);
	db_set_now_ms(f.db, t0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &id), 0);
	CHECK_EQ_INT(queue_claim(f.db, "A", 1000, &a), 1);
	/* Heartbeat keeps it: at t0+1500 the lease (extended to t0+500+1000) still holds. */
	db_set_now_ms(f.db, t0 + 500);
	CHECK_EQ_INT(queue_heartbeat(f.db, &a, 1000), 0);
	db_set_now_ms(f.db, t0 + 1400);
	CHECK_EQ_INT(queue_claim(f.db, "B", 1000, &b), 0);

	/* A hangs; its lease expires and B takes the job over. */
	db_set_now_ms(f.db, t0 + 5000);
	CHECK_EQ_INT(queue_claim(f.db, "B", 1000, &b), 1);
	CHECK_EQ_INT(b.id, id);
	CHECK_EQ_INT(b.attempt, 2);

	/* A wakes up: every write with its lease is refused, nothing of its outcome lands. */
	CHECK_EQ_INT(queue_heartbeat(f.db, &a, 1000), -ESTALE);
	CHECK_EQ_INT(queue_mark_phase(f.db, &a, QUEUE_PHASE_BUILT), -ESTALE);
	CHECK_EQ_INT(queue_complete(f.db, &a, &outcome_wa), -ESTALE);
	CHECK_EQ_INT(queue_fail(f.db, &a, "x", false, NULL), -ESTALE);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM test_results"), 0);

	/* Same owner name reclaiming after expiry still gets a fresh token (the attempt). */
	db_set_now_ms(f.db, t0 + 10000);
	{
		_cleanup_(queue_job_clear) struct queue_job b2 = {0};
		CHECK_EQ_INT(queue_claim(f.db, "B", 1000, &b2), 1);
		CHECK_EQ_INT(b2.attempt, 3);
		CHECK_EQ_INT(queue_complete(f.db, &b, &outcome_wa), -ESTALE);
		CHECK_EQ_INT(queue_complete(f.db, &b2, &outcome_wa), 0);
	}
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM verdicts"), 1);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM test_results"), 3);
	return 0;
}

static int
t_complete_is_all_or_nothing(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	_cleanup_(queue_job_clear) struct queue_job job = {0};
	struct queue_test_result bad[] = {
		all_ok[0],
		{.test_name = "no-such-test", .status = "OK", .verdict = "AC", .score = 1},
	};
	struct queue_outcome o = outcome_wa;

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, NULL), 0);
	CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);

	o.tests = bad;
	o.n_tests = 2;
	CHECK_EQ_INT(queue_complete(f.db, &job, &o), -EINVAL);
	bad[1] = all_ok[0]; /* the same test twice */
	CHECK_EQ_INT(queue_complete(f.db, &job, &o), -EEXIST);
	bad[1] = all_ok[1];
	bad[1].verdict = "XX"; /* not a verdict */
	CHECK_EQ_INT(queue_complete(f.db, &job, &o), -EINVAL);
	o.verdict = "OK"; /* a sandbox status, not a verdict */
	o.tests = all_ok;
	o.n_tests = 3;
	CHECK_EQ_INT(queue_complete(f.db, &job, &o), -EINVAL);

	/* None of the refused attempts left a trace, and the job is still ours to complete. */
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM test_results"), 0);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM verdicts"), 0);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM audit WHERE kind = 'complete'"), 0);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
	CHECK_EQ_INT(queue_complete(f.db, &job, &outcome_wa), 0);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM test_results"), 3);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM verdicts"), 1);
	return 0;
}

static int
t_fail_retries_then_ie(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	int64_t id;
	bool requeued = false;

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &id), 0);
	for (int i = 1; i <= QUEUE_DEFAULT_MAX_ATTEMPTS; i++) {
		_cleanup_(queue_job_clear) struct queue_job job = {0};
		CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);
		CHECK_EQ_INT(job.attempt, i);
		CHECK_EQ_INT(queue_fail(f.db, &job, "overlay mount failed", false, &requeued), 0);
		CHECK_EQ_INT(requeued, i < QUEUE_DEFAULT_MAX_ATTEMPTS);
	}
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE state = 'failed'"
				 " AND last_error = 'overlay mount failed'"),
		     1);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM verdicts WHERE verdict = 'IE'"
				 " AND max_score = 6 AND message = 'overlay mount failed'"),
		     1);

	/* A permanent failure does not retry. */
	{
		_cleanup_(queue_job_clear) struct queue_job job = {0};
		CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, NULL), 0);
		CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);
		CHECK_EQ_INT(queue_fail(f.db, &job, "blob missing", true, &requeued), 0);
		CHECK(!requeued);
	}
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE state = 'failed'"), 2);
	return 0;
}

static int
t_requeue_expired(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	int64_t t0 = 1700000000000;
	size_t n = 99;

	CHECK_EQ_INT(fx_make(&f), 0);
	db_set_now_ms(f.db, t0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, NULL), 0);
	CHECK_EQ_INT(queue_requeue_expired(f.db, &n), 0);
	CHECK_EQ_INT(n, 0);
	/* A job that kills its worker on every attempt. */
	for (int i = 1; i <= QUEUE_DEFAULT_MAX_ATTEMPTS; i++) {
		_cleanup_(queue_job_clear) struct queue_job job = {0};
		db_set_now_ms(f.db, t0 + i * 10000);
		CHECK_EQ_INT(queue_claim(f.db, "w", 1000, &job), 1);
		CHECK_EQ_INT(job.attempt, i);
		if (i == 1) {
			/* The first expiry is requeued by housekeeping rather than a claim. */
			db_set_now_ms(f.db, t0 + i * 10000 + 5000);
			CHECK_EQ_INT(queue_requeue_expired(f.db, &n), 0);
			CHECK_EQ_INT(n, 1);
			CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE state = 'queued'"
						 " AND last_error = 'lease expired'"),
				     1);
		}
	}
	/* Exhausted: not claimable any more, and housekeeping fails it with IE. */
	db_set_now_ms(f.db, t0 + 100000);
	{
		struct queue_job none = {0};
		CHECK_EQ_INT(queue_claim(f.db, "w", 1000, &none), 0);
	}
	CHECK_EQ_INT(queue_requeue_expired(f.db, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs j JOIN verdicts v ON v.job_id = j.id"
				 " WHERE j.state = 'failed' AND v.verdict = 'IE'"),
		     1);
	return 0;
}

static int
t_cancel(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	_cleanup_(queue_job_clear) struct queue_job job = {0};
	int64_t q, r;

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &r), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &q), 0);
	CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);
	CHECK_EQ_INT(job.id, r);
	CHECK_EQ_INT(queue_cancel(f.db, q, "staff"), 0);
	CHECK_EQ_INT(queue_cancel(f.db, r, "staff"), 0);
	CHECK_EQ_INT(queue_complete(f.db, &job, &outcome_wa), -ESTALE);
	CHECK_EQ_INT(queue_cancel(f.db, r, "staff"), -EALREADY);
	CHECK_EQ_INT(queue_cancel(f.db, 12345, "staff"), -ENOENT);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE state = 'cancelled'"), 2);
	struct queue_job none = {0};
	CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &none), 0);
	return 0;
}

struct seen {
	int n;
	char verdict[8];
	char state[16];
	int64_t job_id;
	size_t head_len, tail_len;
	int64_t bytes;
	char tail_last;
};

static int
on_status(const struct queue_job_status *st, void *userdata)
{
	struct seen *s = userdata;
	if (s->n++ == 0) {
		snprintf(s->verdict, sizeof(s->verdict), "%s", st->verdict ? st->verdict : "-");
		snprintf(s->state, sizeof(s->state), "%s", st->state);
		s->job_id = st->job_id;
	}
	return 0;
}

static int
on_result(const struct queue_result_row *row, void *userdata)
{
	struct seen *s = userdata;
	if (row->ordinal == 0) {
		s->head_len = row->out_head_len;
		s->tail_len = row->out_tail ? row->out_tail_len : 0;
		s->bytes = row->out_bytes;
		s->tail_last =
			row->out_tail ? ((const char *)row->out_tail)[row->out_tail_len - 1] : 0;
	}
	s->n++;
	return 0;
}

static int
on_export(const struct queue_export_row *row, void *userdata)
{
	struct seen *s = userdata;
	if (s->n++ == 0) {
		snprintf(s->verdict, sizeof(s->verdict), "%s", row->verdict);
		s->job_id = row->job_id;
	}
	return 0;
}

static int
t_status_results_export(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	_cleanup_free_ char *big = malloc(10000);
	struct queue_test_result res[3];
	struct queue_outcome o = outcome_wa;
	struct seen s = {0};
	int64_t id, regrade;

	CHECK(big);
	for (int i = 0; i < 10000; i++)
		big[i] = (char)('a' + i % 26);
	memcpy(res, all_ok, sizeof(res));
	res[0].out = (struct queue_output){.head = big, .head_len = 10000, .total = 1 << 20};
	res[1].out = (struct queue_output){.head = "hi\n", .head_len = 3, .total = 3};
	o.tests = res;

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, &id), 0);
	CHECK_EQ_INT(queue_status_job(f.db, id, on_status, &s), 1);
	CHECK_STREQ(s.state, "queued");
	CHECK_STREQ(s.verdict, "-");
	{
		_cleanup_(queue_job_clear) struct queue_job job = {0};
		CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);
		CHECK_EQ_INT(queue_complete(f.db, &job, &o), 0);
	}
	s = (struct seen){0};
	CHECK_EQ_INT(queue_status_submission(f.db, f.submission, on_status, &s), 1);
	CHECK_STREQ(s.state, "done");
	CHECK_STREQ(s.verdict, "WA");
	CHECK_EQ_INT(queue_status_job(f.db, 4242, on_status, &s), 0);

	s = (struct seen){0};
	CHECK_EQ_INT(queue_results(f.db, id, on_result, &s), 3);
	CHECK_EQ_INT(s.head_len, QUEUE_OUTPUT_CAP);
	CHECK_EQ_INT(s.tail_len, QUEUE_OUTPUT_CAP);
	CHECK_EQ_INT(s.bytes, 1 << 20);
	CHECK_EQ_INT(s.tail_last, big[9999]);
	CHECK_EQ_INT(queue_results(f.db, 4242, on_result, &s), -ENOENT);
	CHECK_EQ_INT(count(f.db,
			   "SELECT length(stdout_head) FROM test_results WHERE stdout_bytes = 3"
			   " AND stdout_tail IS NULL"),
		     3);

	/* A regrade that ends CE: the export shows the newest done job, tests not run as NULL. */
	CHECK_EQ_INT(queue_regrade(f.db, f.submission, 0, 0, &regrade), 0);
	{
		_cleanup_(queue_job_clear) struct queue_job job = {0};
		struct queue_outcome ce = {
			.verdict = "CE", .max_score = 6, .compiler_output = "a.c:1: error"};
		CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);
		CHECK_STREQ(job.kind, "regrade");
		CHECK_EQ_INT(queue_complete(f.db, &job, &ce), 0);
	}
	s = (struct seen){0};
	CHECK_EQ_INT(queue_export(f.db, f.assignment, on_export, &s), 3);
	CHECK_STREQ(s.verdict, "CE");
	CHECK_EQ_INT(s.job_id, regrade);
	s = (struct seen){0};
	CHECK_EQ_INT(queue_status_student(f.db, "alice", on_status, &s), 2);
	CHECK_EQ_INT(s.job_id, regrade); /* newest first */
	CHECK_STREQ(s.verdict, "CE");

	/* Whole-assignment regrade: one job per student, newest submission. */
	int64_t bob, sub2, batch;
	size_t n = 0;
	CHECK_EQ_INT(db_student_ensure(f.db, "bob", NULL, &bob), 0);
	CHECK_EQ_INT(db_submission_add(f.db, bob, f.assignment, SHA, 1, NULL, "b", NULL, &sub2), 0);
	CHECK_EQ_INT(db_submission_add(f.db, bob, f.assignment, SHA, 1, NULL, "c", NULL, &sub2), 0);
	CHECK_EQ_INT(queue_regrade_assignment(f.db, f.assignment, 1, "staff", &batch, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE batch_id IS NOT NULL AND state ="
				 " 'queued' AND kind = 'regrade'"),
		     2);
	return 0;
}

static int
t_readonly_database_gives_error(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	_cleanup_(db_freep) struct db *ro = NULL;
	char uri[256];

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, NULL), 0);
	/* We run as root, for whom chmod 0444 changes nothing; the read-only URI mode makes
	 * SQLite refuse writes the same way. */
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", f.path);
	CHECK_EQ_INT(db_open(uri, test_schema_dir(), &ro), 0);
	{
		struct queue_job job = {0};
		CHECK_EQ_INT(queue_claim(ro, "w", 60000, &job), -EROFS);
		CHECK(job.owner == NULL);
	}
	CHECK_EQ_INT(queue_enqueue(ro, f.submission, 0, NULL), -EROFS);
	/* Nothing was lost: the job is still queued and claimable read-write. */
	CHECK_EQ_INT(
		count(f.db, "SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"),
		1);
	_cleanup_(queue_job_clear) struct queue_job job = {0};
	CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);
	return 0;
}

static int
t_locked_database_gives_error(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	_cleanup_(db_freep) struct db *other = NULL;
	_cleanup_(queue_job_clear) struct queue_job job = {0};

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, NULL), 0);
	CHECK_EQ_INT(queue_enqueue(f.db, f.submission, 0, NULL), 0);
	CHECK_EQ_INT(queue_claim(f.db, "w", 60000, &job), 1);

	CHECK_EQ_INT(db_open(f.path, test_schema_dir(), &other), 0);
	CHECK_EQ_INT(db_exec(other, "BEGIN EXCLUSIVE"), 0);
	CHECK_EQ_INT(db_set_busy_timeout(f.db, 50), 0);
	{
		struct queue_job j2 = {0};
		CHECK_EQ_INT(queue_claim(f.db, "w2", 60000, &j2), -EBUSY);
	}
	CHECK_EQ_INT(queue_complete(f.db, &job, &outcome_wa), -EBUSY);
	db_rollback(other);

	/* The job is still ours and running; the retry records it exactly once. */
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM test_results"), 0);
	CHECK_EQ_INT(queue_complete(f.db, &job, &outcome_wa), 0);
	CHECK_EQ_INT(count(f.db, "SELECT count(*) FROM verdicts"), 1);
	CHECK_EQ_INT(
		count(f.db, "SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"),
		1);
	return 0;
}

static int
on_status_count(const struct queue_job_status *st, void *userdata)
{
	(void)st;
	++*(int *)userdata;
	return 0;
}

static int
on_assignment(const struct queue_assignment_row *row, void *userdata)
{
	struct queue_assignment_row *out = userdata;
	*out = *row;
	out->name = out->title = out->tests_blob = NULL; /* borrowed, gone after the call */
	return 0;
}

static int
on_test_row(const struct queue_test_row *row, void *userdata)
{
	return row->ordinal == 2 && strcmp(row->visibility, "after_due_date") == 0
		       ? ++*(int *)userdata
		       : 0;
}

static int
on_status_stop(const struct queue_job_status *st, void *userdata)
{
	(void)st;
	(void)userdata;
	return -ECANCELED;
}

/* The batch and catalog queries the API uses. */
static int
t_batches_and_catalog(void)
{
	_cleanup_(fx_done) struct fx f = {0};
	struct queue_assignment_row arow = {0};
	int64_t batch, got, j1, j2;
	int n = 0;

	CHECK_EQ_INT(fx_make(&f), 0);
	CHECK_EQ_INT(db_batch_add(f.db, f.assignment, "grade", "staff", "import", &batch), 0);
	CHECK_EQ_INT(queue_enqueue_batch(f.db, f.submission, 0, batch, &j1), 0);
	CHECK_EQ_INT(queue_enqueue_batch(f.db, f.submission, 0, batch, &j2), 0);
	CHECK_EQ_INT(queue_enqueue_batch(f.db, f.submission, 0, 777, NULL), -ENOENT);
	CHECK_EQ_INT(queue_batch_get(f.db, batch, &got), 0);
	CHECK_EQ_INT(got, f.assignment);
	CHECK_EQ_INT(queue_batch_get(f.db, 777, &got), -ENOENT);
	CHECK_EQ_INT(queue_status_batch(f.db, batch, on_status_count, &n), 2);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(queue_status_batch(f.db, batch, on_status_stop, NULL), -ECANCELED);

	CHECK_EQ_INT(queue_assignments(f.db, "hw1", 0, on_assignment, &arow), 1);
	CHECK_EQ_INT(arow.id, f.assignment);
	CHECK_EQ_INT(arow.version, 1);
	CHECK_EQ_INT(arow.n_tests, 3);
	CHECK(arow.max_score == 6);
	CHECK_EQ_INT(queue_assignments(f.db, NULL, f.assignment, on_assignment, &arow), 1);
	CHECK_EQ_INT(queue_assignments(f.db, "nope", 0, on_assignment, &arow), 0);
	n = 0;
	CHECK_EQ_INT(queue_tests(f.db, f.assignment, on_test_row, &n), 3);
	CHECK_EQ_INT(n, 1);
	return 0;
}

TAP_MAIN(TAP_TEST(t_enqueue_claim_complete), TAP_TEST(t_priority_then_fifo),
	 TAP_TEST(t_claim_is_atomic_between_processes),
	 TAP_TEST(t_lease_expiry_and_stale_completion), TAP_TEST(t_complete_is_all_or_nothing),
	 TAP_TEST(t_fail_retries_then_ie), TAP_TEST(t_requeue_expired), TAP_TEST(t_cancel),
	 TAP_TEST(t_status_results_export), TAP_TEST(t_readonly_database_gives_error),
	 TAP_TEST(t_locked_database_gives_error), TAP_TEST(t_batches_and_catalog))
