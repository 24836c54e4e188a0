/* SPDX-License-Identifier: MIT */
/* The job queue in SQLite: enqueue, lease-based claim, heartbeat, complete/fail exactly once,
 * cancel, regrade, plus the status queries the API serves. All queue SQL lives in queue.c.
 * Every state change is one transaction that also appends its audit row. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/* Stored output is cut to this many bytes at the head and at the tail of each stream. */
#define QUEUE_OUTPUT_CAP	  4096
#define QUEUE_COMPILER_OUTPUT_CAP 65536
/* max_attempts given to new jobs. */
#define QUEUE_DEFAULT_MAX_ATTEMPTS 3

/* A claimed job: the lease token plus what the pipeline needs to start. The lease is
 * (id, owner, attempt): a worker that lost its lease (it expired and someone else claimed the
 * job) holds a stale token and every write with it is refused with -ESTALE. */
struct queue_job {
	int64_t id;
	int64_t submission_id;
	int64_t assignment_id;
	int64_t student_id;
	char *owner; /* owned: the lease owner given to queue_claim() */
	int attempt; /* 1 for the first claim; part of the lease token */
	int max_attempts;
	int priority;
	int64_t lease_expires_at; /* ms since the epoch */
	char kind[8];		  /* "grade" or "regrade" */
	char sha256[65];	  /* of the submitted file */
	char *blob_path;	  /* owned: data-dir-relative path of the submission */
	char *tests_blob;	  /* owned: data-dir-relative path of the assignment copy */
	char *spec_json;	  /* owned: the assignment spec as stored */
};

/* Frees the owned fields and zeroes @job. Safe on a zeroed or already cleared struct. */
void queue_job_clear(struct queue_job *job);

/* Adds a "grade" job for @submission_id. Higher @priority is claimed first, then FIFO.
 * Returns 0 and sets *ret_job_id (may be NULL), -ENOENT if no such submission, -EBUSY, -EROFS,
 * -ENOSPC, -EIO. */
int queue_enqueue(struct db *db, int64_t submission_id, int priority, int64_t *ret_job_id);

/* Adds a "regrade" job for a submission that may have been graded before (earlier jobs and
 * their verdicts stay; status queries and exports show the newest). @batch_id 0 = none. */
int queue_regrade(struct db *db, int64_t submission_id, int priority, int64_t batch_id,
		  int64_t *ret_job_id);

/* Regrades the newest submission of every student for assignment version @assignment_id, as
 * one new batch in one transaction. Sets *ret_batch_id and *ret_n (either may be NULL). */
int queue_regrade_assignment(struct db *db, int64_t assignment_id, int priority,
			     const char *created_by, int64_t *ret_batch_id, size_t *ret_n);

/* Atomically claims the best job: queued, or running with an expired lease and attempts left
 * (so a crashed worker's job is picked up again), by priority then id. A single UPDATE ...
 * RETURNING inside BEGIN IMMEDIATE, so two claimers never get the same job.
 * @owner should be unique per worker ("host:pid:slot"). Returns 1 and fills *ret_job (clear
 * with queue_job_clear()), 0 if nothing is claimable (*ret_job untouched), or -errno (-EBUSY,
 * -EROFS, ...): then nothing was claimed. */
int queue_claim(struct db *db, const char *owner, int64_t lease_ms, struct queue_job *ret_job);

/* Extends the lease to now + @lease_ms and records heartbeat_at. Returns 0, or -ESTALE if the
 * lease was lost (job cancelled, or claimed again by someone else). Updates
 * job->lease_expires_at. */
int queue_heartbeat(struct db *db, struct queue_job *job, int64_t lease_ms);

enum queue_phase {
	QUEUE_PHASE_UNPACKED,
	QUEUE_PHASE_BUILT,
	_QUEUE_PHASE_MAX,
	_QUEUE_PHASE_INVALID = -22,
};

/* Records that the job reached @phase (unpacked_at / built_at = now). -ESTALE as above. */
int queue_mark_phase(struct db *db, const struct queue_job *job, enum queue_phase phase);

/* One stream of captured output. The pipeline may pass the whole capture as @head (it is cut
 * to QUEUE_OUTPUT_CAP, and the tail is then taken from its end) or a separate head and tail. */
struct queue_output {
	const void *head; /* borrowed, may be NULL */
	size_t head_len;
	const void *tail; /* borrowed, may be NULL: take the tail from @head */
	size_t tail_len;
	uint64_t total; /* bytes the program wrote in all, >= what is passed */
};

/* The result of one test. Strings are borrowed for the duration of the call. */
struct queue_test_result {
	const char *test_name; /* a test of the submission's assignment version */
	const char *status;    /* sandbox status: OK RE SG TO WT ML OL SV XX */
	const char *verdict;   /* AC WA TLE MLE OLE RE SG SV IE (never CE or RJ) */
	double score;	       /* points earned, >= 0 */
	uint64_t cpu_ms;
	uint64_t wall_ms;
	uint64_t memory_kb; /* peak */
	int exit_code;	    /* -1: none (killed by a signal, or never started) */
	int signal;	    /* 0: none */
	struct queue_output out;
	struct queue_output err;
	const char *message; /* checker's note; may be NULL */
};

/* An audit event recorded together with an outcome. */
struct queue_audit_event {
	const char *kind;	 /* "violation", "oom_kill", "limit_kill", ... */
	const char *detail_json; /* borrowed JSON object text */
};

/* What the pipeline hands to queue_complete(). */
struct queue_outcome {
	const char *verdict; /* verdict_to_string(): AC WA CE TLE MLE OLE RE SG SV RJ IE */
	double score;
	double max_score;
	const char *compiler_output;	       /* may be NULL; cut to QUEUE_COMPILER_OUTPUT_CAP */
	const char *message;		       /* may be NULL */
	const struct queue_test_result *tests; /* borrowed array of @n_tests */
	size_t n_tests;
	const struct queue_audit_event *events; /* borrowed; written in the same transaction */
	size_t n_events;
};

/* Records the outcome: all test_results rows, the verdict row, state=done and an audit row, in
 * ONE transaction, and only if @job still holds the lease. So a job is recorded exactly once
 * even when two workers raced after a lease expiry: the loser gets -ESTALE and nothing of its
 * outcome is written. -EINVAL for an unknown test name or bad code (nothing written), -EBUSY/
 * -EROFS/-ENOSPC/-EIO: nothing written, the job stays running under our lease, so retrying
 * (or the lease expiring) loses nothing. */
int queue_complete(struct db *db, const struct queue_job *job, const struct queue_outcome *o);

/* The grader (not the student) failed: records @reason as last_error and either requeues the
 * job (attempts left and not @permanent; *ret_requeued = true) or ends it as failed with an IE
 * verdict carrying @reason. -ESTALE if the lease was lost. @ret_requeued may be NULL. */
int queue_fail(struct db *db, const struct queue_job *job, const char *reason, bool permanent,
	       bool *ret_requeued);

/* Housekeeping for the server's timer: running jobs whose lease expired are put back to queued,
 * or failed with IE ("lease expired") once they used max_attempts, so a job that kills its
 * worker every time does not loop forever. Sets *ret_n (may be NULL) to the number changed. */
int queue_requeue_expired(struct db *db, size_t *ret_n);

/* Cancels a queued or running job (a running job's worker then gets -ESTALE on its next write).
 * Returns 0, -ENOENT if there is no such job, -EALREADY if it had already finished. */
int queue_cancel(struct db *db, int64_t job_id, const char *by);

/* --- status queries ------------------------------------------------------------------------ */
/* Each calls @cb once per row with borrowed strings valid only during the call. If @cb returns
 * a negative value, iteration stops and that value is returned. Otherwise the return is the
 * number of rows (>= 0) or -errno. Visibility filtering (hidden tests, after_due_date) is the
 * API's job: rows carry each test's visibility. */

struct queue_job_status {
	int64_t job_id;
	int64_t submission_id;
	int64_t student_id;
	int64_t assignment_id;
	int64_t batch_id;	/* 0: none */
	const char *student;	/* login */
	const char *assignment; /* name */
	int assignment_version;
	const char *kind;  /* grade, regrade */
	const char *state; /* queued, running, done, failed, cancelled */
	int priority;
	int attempts;
	int max_attempts;
	int64_t queued_at; /* ms; 0 = not yet for the ones below */
	int64_t started_at;
	int64_t unpacked_at;
	int64_t built_at;
	int64_t finished_at;
	const char *last_error; /* NULL: none */
	const char *sha256;
	const char *original_name; /* student-controlled: escape before logging */
	int64_t submitted_at;
	const char *verdict; /* NULL until finished */
	double score;
	double max_score;
	const char *compiler_output; /* NULL: none */
	const char *message;	     /* NULL: none */
};
typedef int (*queue_status_cb)(const struct queue_job_status *st, void *userdata);

/* One job. Returns 1, 0 if there is no such job (cb not called), or -errno. */
int queue_status_job(struct db *db, int64_t job_id, queue_status_cb cb, void *userdata);
/* Every job of a submission, newest first. */
int queue_status_submission(struct db *db, int64_t submission_id, queue_status_cb cb,
			    void *userdata);
/* Every job of every submission by student @login, newest first. */
int queue_status_student(struct db *db, const char *login, queue_status_cb cb, void *userdata);

struct queue_result_row {
	int ordinal; /* position in the spec's tests[] */
	const char *test_name;
	double points;		/* the test's maximum */
	const char *visibility; /* visible, hidden, after_due_date */
	const char *status;
	const char *verdict;
	double score;
	int64_t cpu_ms;
	int64_t wall_ms;
	int64_t memory_kb;
	int exit_code;	      /* -1: none */
	int signal;	      /* 0: none */
	const void *out_head; /* may be NULL when empty */
	size_t out_head_len;
	const void *out_tail; /* NULL unless output exceeded the head */
	size_t out_tail_len;
	int64_t out_bytes;
	const void *err_head;
	size_t err_head_len;
	const void *err_tail;
	size_t err_tail_len;
	int64_t err_bytes;
	const char *message;
};
typedef int (*queue_result_cb)(const struct queue_result_row *row, void *userdata);

/* Per-test results of a job in test order. -ENOENT if there is no such job. */
int queue_results(struct db *db, int64_t job_id, queue_result_cb cb, void *userdata);

struct queue_export_row {
	const char *student; /* login */
	int64_t submission_id;
	int64_t job_id;
	int ordinal;
	const char *test_name;
	double points;
	const char *visibility;
	const char *test_verdict; /* NULL: the test did not run (CE, RJ, IE) */
	double test_score;
	const char *verdict; /* the job's overall verdict */
	double score;
	double max_score;
};
typedef int (*queue_export_cb)(const struct queue_export_row *row, void *userdata);

/* For assignment version @assignment_id: for each student, the newest submission that has a
 * finished (done) job, and that submission's newest done job; one row per test of the version,
 * ordered by login then test. Students with no graded submission are absent. */
int queue_export(struct db *db, int64_t assignment_id, queue_export_cb cb, void *userdata);

/* --- added for the API --------------------------------------------------------------------- */

/* Like queue_enqueue(), but the job belongs to batch @batch_id (0 = none). -ENOENT if there is
 * no such submission or batch. */
int queue_enqueue_batch(struct db *db, int64_t submission_id, int priority, int64_t batch_id,
			int64_t *ret_job_id);

/* Finds batch @batch_id. Returns 0 and sets *ret_assignment_id (0 when the batch has none; may
 * be NULL), or -ENOENT. */
int queue_batch_get(struct db *db, int64_t batch_id, int64_t *ret_assignment_id);

/* Every job of batch @batch_id, oldest first (status rows as above). */
int queue_status_batch(struct db *db, int64_t batch_id, queue_status_cb cb, void *userdata);

struct queue_assignment_row {
	int64_t id;
	const char *name;
	int version;
	const char *title; /* NULL: none */
	const char *tests_blob;
	int64_t due_at; /* ms; 0 = no due date */
	int64_t created_at;
	int n_tests;
	double max_score; /* sum of the tests' points */
};
typedef int (*queue_assignment_cb)(const struct queue_assignment_row *row, void *userdata);

/* Assignment versions: all of them by name then version (@name NULL and @id 0), those named
 * @name, or the one with id @id. Row count or -errno as above. */
int queue_assignments(struct db *db, const char *name, int64_t id, queue_assignment_cb cb,
		      void *userdata);

struct queue_test_row {
	int ordinal;
	const char *name;
	double points;
	const char *visibility; /* visible, hidden, after_due_date */
};
typedef int (*queue_test_cb)(const struct queue_test_row *row, void *userdata);

/* The tests of assignment version @assignment_id in spec order. */
int queue_tests(struct db *db, int64_t assignment_id, queue_test_cb cb, void *userdata);

/* --- added for the audit API: staff actions that name who asked ---------------------------- */

/* Like queue_regrade(), and the job's audit row also says who asked (@by, e.g.
 * "staff@127.0.0.1"; may be NULL). */
int queue_regrade_by(struct db *db, int64_t submission_id, int priority, int64_t batch_id,
		     const char *by, int64_t *ret_job_id);

/* Creates a grading batch (db_batch_add() with kind "grade" and created_by @by) together with
 * a "batch_add" audit row, in one transaction. Sets *ret_id. */
int queue_batch_add(struct db *db, int64_t assignment_id, const char *by, int64_t *ret_id);
