/* SPDX-License-Identifier: MIT */
/* Job queue over SQLite: every transition is one BEGIN IMMEDIATE transaction that checks the
 * lease, changes the job and appends an audit row, so the database never holds half a result. */
#include "queue.h"

#include "db.h"
#include "log.h"
#include "util.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

static const char *const sandbox_status[] = {"OK", "RE", "SG", "TO", "WT", "ML", "OL", "SV", "XX"};
/* The names of grader/verdict.h's enum verdict, which the CHECK constraints in schema/ repeat. */
static const char *const verdicts[] = {"AC", "WA", "CE", "TLE", "MLE", "OLE",
				       "RE", "SG", "SV", "RJ",	"IE"};

static bool
in_list(const char *s, const char *const *list, size_t n)
{
	if (!s)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Compact JSON from a json_pack() result (takes ownership); NULL on allocation failure. */
static char *
dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

static int
audit(struct db *db, const char *kind, int64_t submission_id, int64_t job_id, json_t *detail)
{
	_cleanup_free_ char *d = dump(detail);
	if (!d)
		return -ENOMEM;
	return db_audit_append(db, kind, submission_id, job_id, 0, d);
}

void
queue_job_clear(struct queue_job *job)
{
	free(job->owner);
	free(job->blob_path);
	free(job->tests_blob);
	free(job->spec_json);
	*job = (struct queue_job){0};
}

/* --- enqueue ------------------------------------------------------------------------------- */

/* Inserts a job inside the caller's transaction. */
static int
insert_job(struct db *db, int64_t submission_id, const char *kind, int priority, int64_t batch_id,
	   int64_t *ret_id)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int64_t id;
	int r;

	r = db_prepare(db,
		       "INSERT INTO jobs (submission_id, batch_id, kind, priority, max_attempts,"
		       "                  queued_at) VALUES (?, ?, ?, ?, ?, ?)",
		       &s);
	if (r < 0)
		return r;
	if ((r = db_bind_int64(s, 1, submission_id)) < 0 ||
	    (r = db_bind_int64_or_null(s, 2, batch_id)) < 0 || (r = db_bind_text(s, 3, kind)) < 0 ||
	    (r = db_bind_int64(s, 4, priority)) < 0 ||
	    (r = db_bind_int64(s, 5, QUEUE_DEFAULT_MAX_ATTEMPTS)) < 0 ||
	    (r = db_bind_int64(s, 6, db_now_ms(db))) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	id = db_last_insert_rowid(db);
	r = audit(db, kind, submission_id, id,
		  json_pack("{s:i, s:I}", "priority", priority, "batch_id", (json_int_t)batch_id));
	if (r < 0)
		return r;
	*ret_id = id;
	return 0;
}

static int
enqueue(struct db *db, int64_t submission_id, const char *kind, int priority, int64_t batch_id,
	int64_t *ret_job_id)
{
	int64_t id;
	int r;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;
	r = insert_job(db, submission_id, kind, priority, batch_id, &id);
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	if (ret_job_id)
		*ret_job_id = id;
	return 0;
}

int
queue_enqueue(struct db *db, int64_t submission_id, int priority, int64_t *ret_job_id)
{
	return enqueue(db, submission_id, "grade", priority, 0, ret_job_id);
}

int
queue_regrade(struct db *db, int64_t submission_id, int priority, int64_t batch_id,
	      int64_t *ret_job_id)
{
	return enqueue(db, submission_id, "regrade", priority, batch_id, ret_job_id);
}

int
queue_regrade_assignment(struct db *db, int64_t assignment_id, int priority, const char *created_by,
			 int64_t *ret_batch_id, size_t *ret_n)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	_cleanup_free_ int64_t *subs = NULL;
	size_t n = 0, cap = 0;
	int64_t batch;
	int r;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	r = db_batch_add(db, assignment_id, "regrade", created_by, NULL, &batch);
	if (r < 0)
		return r;
	r = db_prepare(db,
		       "SELECT max(id) FROM submissions WHERE assignment_id = ?"
		       " GROUP BY student_id ORDER BY 1",
		       &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, assignment_id);
	if (r < 0)
		return r;
	/* Collect first: inserting while the SELECT is open would be fine in SQLite, but the
	 * list is also the audit detail's count. */
	while ((r = db_step(s)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t *p = reallocarray(subs, cap, sizeof(*subs));
			if (!p)
				return -ENOMEM;
			subs = p;
		}
		subs[n++] = db_column_int64(s, 0);
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		int64_t id;
		r = insert_job(db, subs[i], "regrade", priority, batch, &id);
		if (r < 0)
			return r;
	}
	r = audit(db, "regrade_batch", 0, 0,
		  json_pack("{s:I, s:I, s:I, s:s?}", "batch_id", (json_int_t)batch, "assignment_id",
			    (json_int_t)assignment_id, "jobs", (json_int_t)n, "by", created_by));
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	if (ret_batch_id)
		*ret_batch_id = batch;
	if (ret_n)
		*ret_n = n;
	return 0;
}

/* --- claim and lease ----------------------------------------------------------------------- */

/* Fills the submission/assignment part of a freshly claimed job. */
static int
load_job_context(struct db *db, struct queue_job *job)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r;

	r = db_prepare(db,
		       "SELECT s.student_id, s.assignment_id, s.sha256, s.blob_path, a.tests_blob,"
		       "       a.spec_json"
		       " FROM submissions s JOIN assignments a ON a.id = s.assignment_id"
		       " WHERE s.id = ?",
		       &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, job->submission_id);
	if (r < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT; /* impossible with foreign keys on */
	job->student_id = db_column_int64(s, 0);
	job->assignment_id = db_column_int64(s, 1);
	snprintf(job->sha256, sizeof(job->sha256), "%s", db_column_text(s, 2) ?: "");
	if ((r = db_column_strdup(s, 3, &job->blob_path)) < 0 ||
	    (r = db_column_strdup(s, 4, &job->tests_blob)) < 0 ||
	    (r = db_column_strdup(s, 5, &job->spec_json)) < 0)
		return r;
	return 0;
}

int
queue_claim(struct db *db, const char *owner, int64_t lease_ms, struct queue_job *ret_job)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	_cleanup_(queue_job_clear) struct queue_job job = {0};
	int64_t now = db_now_ms(db);
	int r;

	if (!owner || !*owner || lease_ms <= 0)
		return -EINVAL;
	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	/* One statement picks and takes the job, so there is no window between choosing and
	 * claiming. An expired lease is claimable again only while attempts remain; exhausted
	 * ones are failed by queue_requeue_expired(). */
	r = db_prepare(
		db,
		"UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_at = ?2,"
		"                heartbeat_at = ?3, attempts = attempts + 1, started_at = ?3,"
		"                unpacked_at = NULL, built_at = NULL"
		" WHERE id = (SELECT id FROM jobs"
		"             WHERE state = 'queued'"
		"                OR (state = 'running' AND lease_expires_at < ?3"
		"                    AND attempts < max_attempts)"
		"             ORDER BY priority DESC, id LIMIT 1)"
		" RETURNING id, submission_id, kind, attempts, max_attempts, priority,"
		"           lease_expires_at",
		&s);
	if (r < 0)
		return r;
	if ((r = db_bind_text(s, 1, owner)) < 0 || (r = db_bind_int64(s, 2, now + lease_ms)) < 0 ||
	    (r = db_bind_int64(s, 3, now)) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	if (r == 0)
		return 0; /* nothing claimable; the rollback ends the empty transaction */
	job.id = db_column_int64(s, 0);
	job.submission_id = db_column_int64(s, 1);
	snprintf(job.kind, sizeof(job.kind), "%s", db_column_text(s, 2) ?: "");
	job.attempt = (int)db_column_int64(s, 3);
	job.max_attempts = (int)db_column_int64(s, 4);
	job.priority = (int)db_column_int64(s, 5);
	job.lease_expires_at = db_column_int64(s, 6);
	r = db_step(s);
	if (r < 0)
		return r;
	job.owner = strdup(owner);
	if (!job.owner)
		return -ENOMEM;
	r = load_job_context(db, &job);
	if (r < 0)
		return r;
	r = audit(db, "claim", job.submission_id, job.id,
		  json_pack("{s:s, s:i, s:I}", "owner", owner, "attempt", job.attempt, "lease_ms",
			    (json_int_t)lease_ms));
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	*ret_job = job;
	job = (struct queue_job){0}; /* ownership moved to the caller */
	return 1;
}

/* Prepares an UPDATE guarded by the lease token: parameters ?1 ?2 ?3 are bound to the job id,
 * owner and attempt, ?4 to now; the caller binds any further ones and calls leased_step(). */
static int
leased_prepare(struct db *db, const struct queue_job *job, const char *sql, struct db_stmt **ret)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r;

	r = db_prepare(db, sql, &s);
	if (r < 0)
		return r;
	if ((r = db_bind_int64(s, 1, job->id)) < 0 || (r = db_bind_text(s, 2, job->owner)) < 0 ||
	    (r = db_bind_int64(s, 3, job->attempt)) < 0 ||
	    (r = db_bind_int64(s, 4, db_now_ms(db))) < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

/* Runs the guarded UPDATE: -ESTALE if the lease token matched no row. */
static int
leased_step(struct db *db, struct db_stmt *s)
{
	int r = db_step(s);
	if (r < 0)
		return r;
	return db_changes(db) == 1 ? 0 : -ESTALE;
}

static int
leased_update(struct db *db, const struct queue_job *job, const char *sql)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = leased_prepare(db, job, sql, &s);
	return r < 0 ? r : leased_step(db, s);
}

#define LEASE_HELD " WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND attempts = ?3"

int
queue_heartbeat(struct db *db, struct queue_job *job, int64_t lease_ms)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int64_t expires = db_now_ms(db) + lease_ms;
	int r;

	if (lease_ms <= 0)
		return -EINVAL;
	/* A single UPDATE is its own transaction; no audit row: heartbeats are not decisions. */
	r = leased_prepare(
		db, job, "UPDATE jobs SET heartbeat_at = ?4, lease_expires_at = ?5" LEASE_HELD, &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 5, expires);
	if (r < 0)
		return r;
	r = leased_step(db, s);
	if (r < 0)
		return r;
	job->lease_expires_at = expires;
	return 0;
}

int
queue_mark_phase(struct db *db, const struct queue_job *job, enum queue_phase phase)
{
	switch (phase) {
	case QUEUE_PHASE_UNPACKED:
		return leased_update(
			db, job, "UPDATE jobs SET unpacked_at = ?4, heartbeat_at = ?4" LEASE_HELD);
	case QUEUE_PHASE_BUILT:
		return leased_update(db, job,
				     "UPDATE jobs SET built_at = ?4, heartbeat_at = ?4" LEASE_HELD);
	case _QUEUE_PHASE_MAX:
	case _QUEUE_PHASE_INVALID:
		break;
	}
	return -EINVAL;
}

/* --- complete and fail --------------------------------------------------------------------- */

/* Binds the capped head and tail of one stream at parameters @i (head), @i+1 (tail), @i+2
 * (total). The head is the first QUEUE_OUTPUT_CAP bytes; a tail is stored only when the
 * output did not fit in the head, and holds its last QUEUE_OUTPUT_CAP bytes. */
static int
bind_output(struct db_stmt *s, int i, const struct queue_output *o)
{
	const char *head = o->head, *tail = o->tail;
	size_t head_len = o->head ? o->head_len : 0, tail_len = o->tail ? o->tail_len : 0;
	uint64_t total = o->total;
	int r;

	if (total < head_len)
		total = head_len; /* the caller under-counted; never store a total below the data */
	if (!tail && head_len > QUEUE_OUTPUT_CAP) {
		/* The whole capture was passed as head: take the tail from its end. */
		tail = head + head_len - QUEUE_OUTPUT_CAP;
		tail_len = QUEUE_OUTPUT_CAP;
	}
	if (tail_len > QUEUE_OUTPUT_CAP) {
		tail += tail_len - QUEUE_OUTPUT_CAP;
		tail_len = QUEUE_OUTPUT_CAP;
	}
	if (head_len > QUEUE_OUTPUT_CAP)
		head_len = QUEUE_OUTPUT_CAP;
	if (total <= head_len)
		tail = NULL;
	r = head_len ? db_bind_blob(s, i, head, head_len) : db_bind_null(s, i);
	if (r < 0)
		return r;
	r = tail && tail_len ? db_bind_blob(s, i + 1, tail, tail_len) : db_bind_null(s, i + 1);
	if (r < 0)
		return r;
	return db_bind_int64(s, i + 2, total > INT64_MAX ? INT64_MAX : (int64_t)total);
}

static int
insert_result(struct db *db, struct db_stmt *s, int64_t job_id, const struct queue_test_result *t)
{
	int r;

	/* CE and RJ judge the whole submission; a test never has them. */
	if (!t->test_name || !in_list(t->status, sandbox_status, ELEMENTSOF(sandbox_status)) ||
	    !in_list(t->verdict, verdicts, ELEMENTSOF(verdicts)) || strcmp(t->verdict, "CE") == 0 ||
	    strcmp(t->verdict, "RJ") == 0 || !(t->score >= 0) || t->cpu_ms > INT64_MAX ||
	    t->wall_ms > INT64_MAX || t->memory_kb > INT64_MAX)
		return -EINVAL;

	if ((r = db_bind_int64(s, 1, job_id)) < 0 || (r = db_bind_text(s, 2, t->test_name)) < 0 ||
	    (r = db_bind_text(s, 3, t->status)) < 0 || (r = db_bind_text(s, 4, t->verdict)) < 0 ||
	    (r = db_bind_double(s, 5, t->score)) < 0 ||
	    (r = db_bind_int64(s, 6, (int64_t)t->cpu_ms)) < 0 ||
	    (r = db_bind_int64(s, 7, (int64_t)t->wall_ms)) < 0 ||
	    (r = db_bind_int64(s, 8, (int64_t)t->memory_kb)) < 0)
		return r;
	r = t->exit_code >= 0 ? db_bind_int64(s, 9, t->exit_code) : db_bind_null(s, 9);
	if (r < 0)
		return r;
	r = t->signal > 0 ? db_bind_int64(s, 10, t->signal) : db_bind_null(s, 10);
	if (r < 0)
		return r;
	if ((r = bind_output(s, 11, &t->out)) < 0 || (r = bind_output(s, 14, &t->err)) < 0 ||
	    (r = db_bind_text(s, 17, t->message)) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	int64_t n = db_changes(db);
	r = db_reset(s);
	return r < 0 ? r : (int)n;
}

static int
insert_verdict(struct db *db, int64_t job_id, const char *verdict, double score, double max_score,
	       const char *compiler_output, const char *message)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	size_t clen = compiler_output ? strlen(compiler_output) : 0;
	int r;

	r = db_prepare(db,
		       "INSERT INTO verdicts (job_id, verdict, score, max_score, compiler_output,"
		       "                      message, created_at)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?)",
		       &s);
	if (r < 0)
		return r;
	/* Cut in bytes: a character count could be defeated by invalid UTF-8. */
	if (clen > QUEUE_COMPILER_OUTPUT_CAP)
		clen = QUEUE_COMPILER_OUTPUT_CAP;
	if ((r = db_bind_int64(s, 1, job_id)) < 0 || (r = db_bind_text(s, 2, verdict)) < 0 ||
	    (r = db_bind_double(s, 3, score)) < 0 || (r = db_bind_double(s, 4, max_score)) < 0)
		return r;
	if ((r = db_bind_text_n(s, 5, compiler_output, clen)) < 0 ||
	    (r = db_bind_text(s, 6, message)) < 0 || (r = db_bind_int64(s, 7, db_now_ms(db))) < 0)
		return r;
	r = db_step(s);
	return r < 0 ? r : 0;
}

int
queue_complete(struct db *db, const struct queue_job *job, const struct queue_outcome *o)
{
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL;
	int r;

	if (!in_list(o->verdict, verdicts, ELEMENTSOF(verdicts)) || !(o->score >= 0) ||
	    !(o->max_score >= 0) || (o->n_tests && !o->tests))
		return -EINVAL;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	/* The lease check and the state change are one statement: if it matches, nobody else can
	 * complete this job any more, and if anything below fails the rollback undoes it. */
	r = leased_update(db, job,
			  "UPDATE jobs SET state = 'done', finished_at = ?4, lease_owner = NULL,"
			  "                lease_expires_at = NULL, heartbeat_at = ?4" LEASE_HELD);
	if (r < 0)
		return r;

	/* The test is looked up by name within the submission's assignment version, so a result
	 * can never be filed under another assignment's test. */
	r = db_prepare(db,
		       "INSERT INTO test_results (job_id, test_id, status, verdict, score, cpu_ms,"
		       "       wall_ms, memory_kb, exit_code, signal, stdout_head, stdout_tail,"
		       "       stdout_bytes, stderr_head, stderr_tail, stderr_bytes, message)"
		       " SELECT ?1, t.id, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		       "        ?16, ?17"
		       " FROM jobs j JOIN submissions s ON s.id = j.submission_id"
		       "      JOIN tests t ON t.assignment_id = s.assignment_id AND t.name = ?2"
		       " WHERE j.id = ?1",
		       &ins);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o->n_tests; i++) {
		r = insert_result(db, ins, job->id, &o->tests[i]);
		if (r < 0)
			return r;
		if (r == 0) {
			char buf[128];
			log_debug("Job %" PRIi64 ": no test '%s' in its assignment", job->id,
				  log_escape(o->tests[i].test_name, strlen(o->tests[i].test_name),
					     buf, sizeof(buf)));
			return -EINVAL;
		}
	}
	r = insert_verdict(db, job->id, o->verdict, o->score, o->max_score, o->compiler_output,
			   o->message);
	if (r < 0)
		return r;
	/* Security events (SV with its evidence, kills by limit) are recorded in the same
	 * transaction as the verdict they explain. */
	for (size_t i = 0; i < o->n_events; i++) {
		json_t *d = json_loads(o->events[i].detail_json ? o->events[i].detail_json : "{}",
				       0, NULL);
		if (!d)
			return -EINVAL;
		r = audit(db, o->events[i].kind, job->submission_id, job->id, d);
		if (r < 0)
			return r;
	}
	r = audit(db, "complete", job->submission_id, job->id,
		  json_pack("{s:s, s:f, s:f, s:s, s:i}", "verdict", o->verdict, "score", o->score,
			    "max_score", o->max_score, "owner", job->owner, "attempt",
			    job->attempt));
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	return 0;
}

/* Sum of the points of the job's assignment version: the max_score of an IE verdict. */
static int
max_score_of(struct db *db, int64_t job_id, double *ret)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db,
			   "SELECT coalesce(sum(t.points), 0) FROM jobs j"
			   " JOIN submissions s ON s.id = j.submission_id"
			   " JOIN tests t ON t.assignment_id = s.assignment_id WHERE j.id = ?",
			   &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, job_id);
	if (r < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	*ret = r > 0 ? db_column_double(s, 0) : 0;
	return 0;
}

int
queue_fail(struct db *db, const struct queue_job *job, const char *reason, bool permanent,
	   bool *ret_requeued)
{
	bool requeue = !permanent && job->attempt < job->max_attempts;
	double max_score = 0;
	int r;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	{
		_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
		r = leased_prepare(db, job,
				   requeue ? "UPDATE jobs SET state = 'queued', lease_owner = NULL,"
					     " lease_expires_at = NULL, heartbeat_at = ?4,"
					     " last_error = ?5" LEASE_HELD
					   : "UPDATE jobs SET state = 'failed', lease_owner = NULL,"
					     " lease_expires_at = NULL, heartbeat_at = ?4,"
					     " finished_at = ?4, last_error = ?5" LEASE_HELD,
				   &s);
		if (r < 0)
			return r;
		r = db_bind_text(s, 5, reason ? reason : "unknown error");
		if (r < 0)
			return r;
		r = leased_step(db, s);
		if (r < 0)
			return r;
	}
	if (!requeue) {
		r = max_score_of(db, job->id, &max_score);
		if (r < 0)
			return r;
		r = insert_verdict(db, job->id, "IE", 0, max_score, NULL, reason);
		if (r < 0)
			return r;
	}
	r = audit(db, requeue ? "fail_requeue" : "fail", job->submission_id, job->id,
		  json_pack("{s:s?, s:s, s:i, s:b}", "reason", reason, "owner", job->owner,
			    "attempt", job->attempt, "permanent", permanent));
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	if (ret_requeued)
		*ret_requeued = requeue;
	return 0;
}

int
queue_requeue_expired(struct db *db, size_t *ret_n)
{
	_cleanup_(db_stmt_freep) struct db_stmt *sel = NULL;
	_cleanup_free_ int64_t *ids = NULL;
	_cleanup_free_ int64_t *subs = NULL;
	_cleanup_free_ bool *exhausted = NULL;
	int64_t now = db_now_ms(db);
	size_t n = 0, cap = 0;
	int r;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	r = db_prepare(db,
		       "SELECT id, submission_id, attempts >= max_attempts FROM jobs"
		       " WHERE state = 'running' AND lease_expires_at < ? ORDER BY id",
		       &sel);
	if (r < 0)
		return r;
	r = db_bind_int64(sel, 1, now);
	if (r < 0)
		return r;
	while ((r = db_step(sel)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *a = reallocarray(ids, cap, sizeof(*ids));
			if (!a)
				return -ENOMEM;
			ids = a;
			a = reallocarray(subs, cap, sizeof(*subs));
			if (!a)
				return -ENOMEM;
			subs = a;
			bool *b = reallocarray(exhausted, cap, sizeof(*exhausted));
			if (!b)
				return -ENOMEM;
			exhausted = b;
		}
		ids[n] = db_column_int64(sel, 0);
		subs[n] = db_column_int64(sel, 1);
		exhausted[n] = db_column_int64(sel, 2) != 0;
		n++;
	}
	if (r < 0)
		return r;

	for (size_t i = 0; i < n; i++) {
		_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
		r = db_prepare(
			db,
			exhausted[i]
				? "UPDATE jobs SET state = 'failed', lease_owner = NULL,"
				  " lease_expires_at = NULL, finished_at = ?2,"
				  " last_error = 'lease expired after ' || attempts || ' attempts'"
				  " WHERE id = ?1"
				: "UPDATE jobs SET state = 'queued', lease_owner = NULL,"
				  " lease_expires_at = NULL, last_error = 'lease expired'"
				  " WHERE id = ?1",
			&s);
		if (r < 0)
			return r;
		if ((r = db_bind_int64(s, 1, ids[i])) < 0 ||
		    (exhausted[i] && (r = db_bind_int64(s, 2, now)) < 0))
			return r;
		r = db_step(s);
		if (r < 0)
			return r;
		if (exhausted[i]) {
			double max_score = 0;
			r = max_score_of(db, ids[i], &max_score);
			if (r < 0)
				return r;
			r = insert_verdict(db, ids[i], "IE", 0, max_score, NULL,
					   "lease expired on every attempt");
			if (r < 0)
				return r;
		}
		r = audit(db, exhausted[i] ? "expire_fail" : "expire_requeue", subs[i], ids[i],
			  json_object());
		if (r < 0)
			return r;
	}
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	if (ret_n)
		*ret_n = n;
	return 0;
}

int
queue_cancel(struct db *db, int64_t job_id, const char *by)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int64_t sub;
	int r;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;

	r = db_prepare(
		db, "SELECT submission_id, state IN ('queued', 'running') FROM jobs WHERE id = ?",
		&s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, job_id);
	if (r < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	if (!db_column_int64(s, 1))
		return -EALREADY;
	sub = db_column_int64(s, 0);
	s = db_stmt_free(s);

	r = db_prepare(
		db,
		"UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,"
		"                finished_at = ? WHERE id = ?",
		&s);
	if (r < 0)
		return r;
	if ((r = db_bind_int64(s, 1, db_now_ms(db))) < 0 || (r = db_bind_int64(s, 2, job_id)) < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	r = audit(db, "cancel", sub, job_id, json_pack("{s:s?}", "by", by));
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	return 0;
}

/* --- status queries ------------------------------------------------------------------------ */

#define STATUS_SELECT                                                                             \
	"SELECT j.id, j.submission_id, s.student_id, s.assignment_id, coalesce(j.batch_id, 0),"   \
	"       st.login, a.name, a.version, j.kind, j.state, j.priority, j.attempts,"            \
	"       j.max_attempts, j.queued_at, coalesce(j.started_at, 0),"                          \
	"       coalesce(j.unpacked_at, 0), coalesce(j.built_at, 0), coalesce(j.finished_at, 0)," \
	"       j.last_error, s.sha256, s.original_name, s.created_at, v.verdict,"                \
	"       coalesce(v.score, 0), coalesce(v.max_score, 0), v.compiler_output, v.message"     \
	" FROM jobs j JOIN submissions s ON s.id = j.submission_id"                               \
	"      JOIN students st ON st.id = s.student_id"                                          \
	"      JOIN assignments a ON a.id = s.assignment_id"                                      \
	"      LEFT JOIN verdicts v ON v.job_id = j.id"

static int
status_rows(struct db_stmt *s, queue_status_cb cb, void *userdata)
{
	int r, n = 0;

	while ((r = db_step(s)) > 0) {
		struct queue_job_status st = {
			.job_id = db_column_int64(s, 0),
			.submission_id = db_column_int64(s, 1),
			.student_id = db_column_int64(s, 2),
			.assignment_id = db_column_int64(s, 3),
			.batch_id = db_column_int64(s, 4),
			.student = db_column_text(s, 5),
			.assignment = db_column_text(s, 6),
			.assignment_version = (int)db_column_int64(s, 7),
			.kind = db_column_text(s, 8),
			.state = db_column_text(s, 9),
			.priority = (int)db_column_int64(s, 10),
			.attempts = (int)db_column_int64(s, 11),
			.max_attempts = (int)db_column_int64(s, 12),
			.queued_at = db_column_int64(s, 13),
			.started_at = db_column_int64(s, 14),
			.unpacked_at = db_column_int64(s, 15),
			.built_at = db_column_int64(s, 16),
			.finished_at = db_column_int64(s, 17),
			.last_error = db_column_text(s, 18),
			.sha256 = db_column_text(s, 19),
			.original_name = db_column_text(s, 20),
			.submitted_at = db_column_int64(s, 21),
			.verdict = db_column_text(s, 22),
			.score = db_column_double(s, 23),
			.max_score = db_column_double(s, 24),
			.compiler_output = db_column_text(s, 25),
			.message = db_column_text(s, 26),
		};
		r = cb(&st, userdata);
		if (r < 0)
			return r;
		n++;
	}
	return r < 0 ? r : n;
}

int
queue_status_job(struct db *db, int64_t job_id, queue_status_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db, STATUS_SELECT " WHERE j.id = ?", &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, job_id);
	return r < 0 ? r : status_rows(s, cb, userdata);
}

int
queue_status_submission(struct db *db, int64_t submission_id, queue_status_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db, STATUS_SELECT " WHERE j.submission_id = ? ORDER BY j.id DESC", &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, submission_id);
	return r < 0 ? r : status_rows(s, cb, userdata);
}

int
queue_status_student(struct db *db, const char *login, queue_status_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db, STATUS_SELECT " WHERE st.login = ? ORDER BY j.id DESC", &s);
	if (r < 0)
		return r;
	r = db_bind_text(s, 1, login);
	return r < 0 ? r : status_rows(s, cb, userdata);
}

int
queue_results(struct db *db, int64_t job_id, queue_result_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r, n = 0;

	r = db_prepare(
		db,
		"SELECT t.ordinal, t.name, t.points, t.visibility, r.status, r.verdict, r.score,"
		"       r.cpu_ms, r.wall_ms, r.memory_kb, coalesce(r.exit_code, -1),"
		"       coalesce(r.signal, 0), r.stdout_head, r.stdout_tail, r.stdout_bytes,"
		"       r.stderr_head, r.stderr_tail, r.stderr_bytes, r.message,"
		"       (SELECT count(*) FROM jobs WHERE id = ?1)"
		" FROM (SELECT 1) LEFT JOIN test_results r ON r.job_id = ?1"
		" LEFT JOIN tests t ON t.id = r.test_id"
		" ORDER BY t.ordinal",
		&s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, job_id);
	if (r < 0)
		return r;
	/* The outer (SELECT 1) guarantees one row even without results, to tell "no such job"
	 * from "job with no results yet" in the same snapshot. */
	while ((r = db_step(s)) > 0) {
		if (db_column_int64(s, 19) == 0)
			return -ENOENT;
		if (db_column_is_null(s, 1))
			continue;
		struct queue_result_row row = {
			.ordinal = (int)db_column_int64(s, 0),
			.test_name = db_column_text(s, 1),
			.points = db_column_double(s, 2),
			.visibility = db_column_text(s, 3),
			.status = db_column_text(s, 4),
			.verdict = db_column_text(s, 5),
			.score = db_column_double(s, 6),
			.cpu_ms = db_column_int64(s, 7),
			.wall_ms = db_column_int64(s, 8),
			.memory_kb = db_column_int64(s, 9),
			.exit_code = (int)db_column_int64(s, 10),
			.signal = (int)db_column_int64(s, 11),
			.out_bytes = db_column_int64(s, 14),
			.err_bytes = db_column_int64(s, 17),
			.message = db_column_text(s, 18),
		};
		row.out_head = db_column_blob(s, 12, &row.out_head_len);
		row.out_tail = db_column_blob(s, 13, &row.out_tail_len);
		row.err_head = db_column_blob(s, 15, &row.err_head_len);
		row.err_tail = db_column_blob(s, 16, &row.err_tail_len);
		r = cb(&row, userdata);
		if (r < 0)
			return r;
		n++;
	}
	return r < 0 ? r : n;
}

int
queue_export(struct db *db, int64_t assignment_id, queue_export_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r, n = 0;

	/* "Latest" is by submission first, then by job: a regrade of an old submission must not
	 * replace the grade of a newer one. */
	r = db_prepare(db,
		       "WITH ranked AS ("
		       "  SELECT s.student_id, s.id AS submission_id, j.id AS job_id,"
		       "         row_number() OVER (PARTITION BY s.student_id"
		       "                            ORDER BY s.id DESC, j.id DESC) AS rn"
		       "  FROM submissions s JOIN jobs j ON j.submission_id = s.id"
		       "  WHERE s.assignment_id = ?1 AND j.state = 'done')"
		       " SELECT st.login, k.submission_id, k.job_id, t.ordinal, t.name, t.points,"
		       "        t.visibility, r.verdict, coalesce(r.score, 0), v.verdict, v.score,"
		       "        v.max_score"
		       " FROM ranked k JOIN students st ON st.id = k.student_id"
		       "      JOIN verdicts v ON v.job_id = k.job_id"
		       "      JOIN tests t ON t.assignment_id = ?1"
		       "      LEFT JOIN test_results r ON r.job_id = k.job_id AND r.test_id = t.id"
		       " WHERE k.rn = 1"
		       " ORDER BY st.login, t.ordinal",
		       &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, assignment_id);
	if (r < 0)
		return r;
	while ((r = db_step(s)) > 0) {
		struct queue_export_row row = {
			.student = db_column_text(s, 0),
			.submission_id = db_column_int64(s, 1),
			.job_id = db_column_int64(s, 2),
			.ordinal = (int)db_column_int64(s, 3),
			.test_name = db_column_text(s, 4),
			.points = db_column_double(s, 5),
			.visibility = db_column_text(s, 6),
			.test_verdict = db_column_text(s, 7),
			.test_score = db_column_double(s, 8),
			.verdict = db_column_text(s, 9),
			.score = db_column_double(s, 10),
			.max_score = db_column_double(s, 11),
		};
		r = cb(&row, userdata);
		if (r < 0)
			return r;
		n++;
	}
	return r < 0 ? r : n;
}

/* --- added for the API --------------------------------------------------------------------- */

int
queue_enqueue_batch(struct db *db, int64_t submission_id, int priority, int64_t batch_id,
		    int64_t *ret_job_id)
{
	return enqueue(db, submission_id, "grade", priority, batch_id, ret_job_id);
}

int
queue_batch_get(struct db *db, int64_t batch_id, int64_t *ret_assignment_id)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db, "SELECT coalesce(assignment_id, 0) FROM batches WHERE id = ?", &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, batch_id);
	if (r < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	if (ret_assignment_id)
		*ret_assignment_id = db_column_int64(s, 0);
	return 0;
}

int
queue_status_batch(struct db *db, int64_t batch_id, queue_status_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r = db_prepare(db, STATUS_SELECT " WHERE j.batch_id = ? ORDER BY j.id", &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, batch_id);
	return r < 0 ? r : status_rows(s, cb, userdata);
}

int
queue_assignments(struct db *db, const char *name, int64_t id, queue_assignment_cb cb,
		  void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r, n = 0;

	r = db_prepare(
		db,
		"SELECT a.id, a.name, a.version, a.title, a.tests_blob, coalesce(a.due_at, 0),"
		"       a.created_at,"
		"       (SELECT count(*) FROM tests t WHERE t.assignment_id = a.id),"
		"       (SELECT coalesce(sum(points), 0) FROM tests t"
		"        WHERE t.assignment_id = a.id)"
		" FROM assignments a"
		" WHERE (?1 IS NULL OR a.name = ?1) AND (?2 = 0 OR a.id = ?2)"
		" ORDER BY a.name, a.version",
		&s);
	if (r < 0)
		return r;
	if ((r = db_bind_text(s, 1, name)) < 0 || (r = db_bind_int64(s, 2, id)) < 0)
		return r;
	while ((r = db_step(s)) > 0) {
		struct queue_assignment_row row = {
			.id = db_column_int64(s, 0),
			.name = db_column_text(s, 1),
			.version = (int)db_column_int64(s, 2),
			.title = db_column_text(s, 3),
			.tests_blob = db_column_text(s, 4),
			.due_at = db_column_int64(s, 5),
			.created_at = db_column_int64(s, 6),
			.n_tests = (int)db_column_int64(s, 7),
			.max_score = db_column_double(s, 8),
		};
		r = cb(&row, userdata);
		if (r < 0)
			return r;
		n++;
	}
	return r < 0 ? r : n;
}

int
queue_tests(struct db *db, int64_t assignment_id, queue_test_cb cb, void *userdata)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int r, n = 0;

	r = db_prepare(db,
		       "SELECT ordinal, name, points, visibility FROM tests"
		       " WHERE assignment_id = ? ORDER BY ordinal",
		       &s);
	if (r < 0)
		return r;
	r = db_bind_int64(s, 1, assignment_id);
	if (r < 0)
		return r;
	while ((r = db_step(s)) > 0) {
		struct queue_test_row row = {
			.ordinal = (int)db_column_int64(s, 0),
			.name = db_column_text(s, 1),
			.points = db_column_double(s, 2),
			.visibility = db_column_text(s, 3),
		};
		r = cb(&row, userdata);
		if (r < 0)
			return r;
		n++;
	}
	return r < 0 ? r : n;
}

/* --- added for the audit API --------------------------------------------------------------- */

int
queue_regrade_by(struct db *db, int64_t submission_id, int priority, int64_t batch_id,
		 const char *by, int64_t *ret_job_id)
{
	_cleanup_(db_stmt_freep) struct db_stmt *s = NULL;
	int64_t id;
	int r;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;
	/* The same insert as queue_regrade(), with the requester in its own row of the same
	 * transaction: insert_job()'s row stays what every other enqueue writes. */
	r = insert_job(db, submission_id, "regrade", priority, batch_id, &id);
	if (r < 0)
		return r;
	r = audit(db, "regrade_request", submission_id, id,
		  json_pack("{s:s?, s:I}", "by", by, "job_id", (json_int_t)id));
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	if (ret_job_id)
		*ret_job_id = id;
	return 0;
}

int
queue_batch_add(struct db *db, int64_t assignment_id, const char *by, int64_t *ret_id)
{
	int64_t id;
	int r;

	r = db_begin_immediate(db);
	if (r < 0)
		return r;
	_cleanup_(db_txn_endp) struct db *txn = db;
	r = db_batch_add(db, assignment_id, "grade", by, NULL, &id);
	if (r < 0)
		return r;
	r = audit(db, "batch_add", 0, 0,
		  json_pack("{s:I, s:I, s:s?}", "batch_id", (json_int_t)id, "assignment_id",
			    (json_int_t)assignment_id, "by", by));
	if (r < 0)
		return r;
	r = db_commit(db);
	if (r < 0)
		return r;
	TAKE_PTR(txn);
	*ret_id = id;
	return 0;
}
