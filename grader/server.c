/* SPDX-License-Identifier: MIT */
/* `gradebox serve`: one libevent loop, N grading slots, a SQLite queue. The loop never blocks
 * on a child: each claimed job runs in a worker process (worker.c; the pipeline blocks there)
 * started by the spawner thread, and the worker's pidfd and result pipe are events here.
 * Leases make kill -9 safe: a job claimed by a dead server is claimable again once its lease
 * expires, and queue_complete() refuses a stale lease, so a job's results are recorded
 * exactly once. */
#include "api.h"
#include "cli.h"
#include "db.h"
#include "log.h"
#include "pipeline.h"
#include "queue.h"
#include "run.h"
#include "util.h"
#include "worker.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define TICK_MS 250
/* How long one database call of the event loop may wait for another process's write lock
 * (an admin's sqlite3, a second server on the same file). Normal contention is a few ms; a
 * longer lock would stall every status query behind it, so the loop gives up instead:
 * claims and heartbeats are retried at the next tick, a finished job's outcome waits in
 * memory (slot_settle()), and an API write answers 503 with Retry-After (the CLI retries). */
#define LOOP_BUSY_MS 20
/* At shutdown, the last try to record outcomes that waited may take longer. */
#define SHUTDOWN_BUSY_MS 5000

struct server;

struct slot {
	struct server *srv; /* borrowed */
	unsigned index;
	bool busy;
	bool spawning;	      /* the spawner has the request; pid not known yet */
	bool kill_pending;    /* stop the worker as soon as it has a pid */
	pid_t pid;	      /* the worker */
	int pidfd;	      /* owned */
	int out_fd;	      /* owned: read end of the result pipe */
	struct event *ev_pid; /* owned */
	struct event *ev_out; /* owned */
	struct evbuffer *buf; /* owned: the result JSON as it arrives */
	bool exited, eof;
	bool result_started; /* past the "phase" lines: the rest is the result */
	int wait_status;
	uint64_t started_ns;
	uint64_t last_heartbeat_ns;
	/* The worker is done; its outcome waits to be recorded (the database was locked). */
	bool settling;
	uint64_t settle_since_ns; /* 0 until a write of the outcome found the database locked */
	json_t *result;	      /* owned: the worker's result while settling; NULL: see fail_why */
	char *fail_why;	      /* owned: why the worker gave no result */
	struct queue_job job; /* owned while busy */
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct db *db;
	struct slot *slots;
	unsigned n_slots, busy;
	bool draining;
	bool claims_locked; /* the last claim found the database locked */
	uint64_t drain_deadline_ns;
	uint64_t last_requeue_ns;
	struct event *ev_tick, *ev_claim, *ev_term, *ev_int, *ev_hup, *ev_spawned;
	struct spawner *spawner;
	struct api_context api;
	/* configuration */
	char data_dir[PATH_MAX];
	char schema_dir[PATH_MAX];
	char policy_dir[PATH_MAX];
	const char *image;
	const char *bind;
	unsigned port;
	int64_t lease_ms;
	uint64_t drain_timeout_ms;
	char token[65];
	char owner_prefix[96];
};

static int
ensure_token(struct server *s)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/token", s->data_dir);
	char buf[128];
	ssize_t n = util_read_file_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n >= 64) {
		memcpy(s->token, buf, 64);
		s->token[64] = 0;
		return 0;
	}
	unsigned char raw[32];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(s->token + 2 * i, 3, "%02x", raw[i]);
	/* Staff credential: readable by root only. */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = util_write_all(fd, s->token, 64);
	if (r < 0)
		return r;
	return util_write_all(fd, "\n", 1);
}

/* ---- workers (worker.c) ---- */

static void slot_finish(struct slot *sl);

/* The worker's "phase NAME" lines, which come before its result (a JSON object): each is
 * recorded as it arrives, so a job's status shows how far it got while it runs. */
static void
take_progress(struct slot *sl)
{
	while (!sl->result_started && evbuffer_get_length(sl->buf) > 0) {
		char first;
		if (evbuffer_copyout(sl->buf, &first, 1) != 1 || first != 'p') {
			sl->result_started = true;
			return;
		}
		size_t n = 0;
		char *line = evbuffer_readln(sl->buf, &n, EVBUFFER_EOL_LF);
		if (!line) {
			if (evbuffer_get_length(sl->buf) > 64)
				sl->result_started = true; /* no line of ours is that long */
			return;
		}
		enum queue_phase ph = strcmp(line, "phase unpacked") == 0 ? QUEUE_PHASE_UNPACKED
				      : strcmp(line, "phase built") == 0  ? QUEUE_PHASE_BUILT
									  : _QUEUE_PHASE_INVALID;
		if (ph != _QUEUE_PHASE_INVALID)
			(void)queue_mark_phase(sl->srv->db, &sl->job, ph); /* -ESTALE: cancelled */
		else
			log_warning("job %" PRIi64 ": unknown progress line from the worker: %.40s",
				    sl->job.id, line);
		free(line);
	}
}

static void
on_worker_out(evutil_socket_t fd, short what, void *arg)
{
	struct slot *sl = arg;
	(void)what;
	int n = evbuffer_read(sl->buf, fd, 65536);
	if (n > 0)
		take_progress(sl);
	/* A spurious wakeup is not the end of the result. */
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && evbuffer_get_length(sl->buf) < (64u << 20))
		return;
	/* EOF, an error, or a result too large to be ours: stop reading. */
	sl->eof = true;
	event_del(sl->ev_out);
	if (sl->exited)
		slot_finish(sl);
}

static void
on_worker_exit(evutil_socket_t fd, short what, void *arg)
{
	struct slot *sl = arg;
	siginfo_t si = {0};
	(void)fd;
	(void)what;
	if (waitid((idtype_t)P_PIDFD, (id_t)sl->pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	sl->exited = true;
	sl->wait_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	event_del(sl->ev_pid);
	if (sl->eof)
		slot_finish(sl);
}

/* Writes a worker's result. Returns what queue_complete() or queue_fail() returned: -EBUSY
 * when the database was locked (nothing written, nothing logged: the caller tries again). */
static int
record_outcome(struct server *s, struct slot *sl, json_t *j)
{
	struct pipeline_result res = {0};
	const char *ie = json_string_value(json_object_get(j, "internal_error"));
	bool requeued = false;
	int r;

	if (ie || pipeline_result_from_json(j, &res) < 0 || res.verdict == VERDICT_IE) {
		/* The grader failed, not the student: retry while attempts are left. */
		const char *why = ie		   ? ie
				  : res.message[0] ? res.message
						   : "malformed worker result";
		r = queue_fail(s->db, &sl->job, why, false, &requeued);
		if (r != -EBUSY)
			log_warning("job %" PRIi64 ": internal error (%s)%s", sl->job.id, why,
				    r < 0      ? ", not recorded"
				    : requeued ? ", requeued"
					       : ", failed");
		pipeline_result_clear(&res);
		return r;
	}
	struct queue_test_result *tr = calloc(res.n_tests ? res.n_tests : 1, sizeof(*tr));
	if (!tr) {
		pipeline_result_clear(&res);
		return -ENOMEM;
	}
	for (size_t i = 0; i < res.n_tests; i++) {
		const struct pipeline_test *t = &res.tests[i];
		tr[i] = (struct queue_test_result){
			.test_name = t->name,
			.status = run_status_to_string(t->run.status),
			.verdict = verdict_to_string(t->verdict),
			.score = t->score,
			.cpu_ms = t->run.cpu_time_ms,
			.wall_ms = t->run.wall_time_ms,
			.memory_kb = t->run.memory_peak_kb,
			.exit_code = t->run.exit_code,
			.signal = t->run.signal,
			.out = {.head = t->output_head,
				.head_len = t->output_head ? strlen(t->output_head) : 0,
				.tail = t->output_tail,
				.tail_len = t->output_tail ? strlen(t->output_tail) : 0,
				.total = t->output_bytes},
			.message = t->message,
		};
	}
	/* Security-relevant events, recorded in the same transaction as the verdict. */
	size_t n_ev = 0, max_ev = 2 * res.n_tests + 2;
	struct queue_audit_event *ev = calloc(max_ev, sizeof(*ev));
	char **ev_text = calloc(max_ev, sizeof(*ev_text));
	if (!ev || !ev_text) {
		free(ev);
		free(ev_text);
		free(tr);
		pipeline_result_clear(&res);
		return -ENOMEM;
	}
	if (res.verdict == VERDICT_RJ) {
		json_t *d = json_pack("{s:s}", "reason", res.message);
		ev_text[n_ev] = json_dumps(d, JSON_COMPACT);
		json_decref(d);
		ev[n_ev].kind = "archive_rejected";
		ev[n_ev].detail_json = ev_text[n_ev];
		n_ev++;
	}
	if (res.build.status == RUN_SV) {
		json_t *d = json_pack(
			"{s:s, s:s, s:i, s:b, s:s, s:s, s:s}", "step", "build", "syscall",
			res.build.denied_syscall, "pid", res.build.denied_pid, "frozen",
			res.build.frozen, "process_tree", res.build.process_tree, "evidence",
			res.build_evidence.file, "evidence_sha256", res.build_evidence.sha256);
		ev_text[n_ev] = json_dumps(d, JSON_COMPACT);
		json_decref(d);
		ev[n_ev].kind = "violation";
		ev[n_ev].detail_json = ev_text[n_ev];
		n_ev++;
	}
	for (size_t i = 0; i < res.n_tests; i++) {
		const struct pipeline_test *t = &res.tests[i];
		json_t *d = NULL;
		const char *kind = NULL;
		switch (t->run.status) {
		case RUN_SV: {
			json_t *args = json_array();
			for (int k = 0; k < 6; k++)
				json_array_append_new(
					args, json_integer((json_int_t)t->run.denied_args[k]));
			d = json_pack("{s:s, s:s, s:o, s:i, s:b, s:s, s:s, s:s}", "test", t->name,
				      "syscall", t->run.denied_syscall, "args", args, "pid",
				      t->run.denied_pid, "frozen", t->run.frozen, "process_tree",
				      t->run.process_tree, "evidence", t->evidence.file,
				      "evidence_sha256", t->evidence.sha256);
			kind = "violation";
			break;
		}
		case RUN_ML:
			kind = "oom_kill";
			break;
		case RUN_TO:
		case RUN_WT:
			kind = "time_kill";
			break;
		case RUN_OL:
			kind = "output_kill";
			break;
		case RUN_OK:
		case RUN_RE:
		case RUN_SG:
		case RUN_XX:
		case _RUN_STATUS_MAX:
		case _RUN_STATUS_INVALID:
			break;
		}
		if (kind && !d)
			d = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "test", t->name, "status",
				      run_status_to_string(t->run.status), "message",
				      t->run.message, "cpu_ms", (json_int_t)t->run.cpu_time_ms,
				      "wall_ms", (json_int_t)t->run.wall_time_ms, "memory_kb",
				      (json_int_t)t->run.memory_peak_kb);
		if (kind && d && n_ev < max_ev) {
			ev_text[n_ev] = json_dumps(d, JSON_COMPACT);
			ev[n_ev].kind = kind;
			ev[n_ev].detail_json = ev_text[n_ev];
			n_ev++;
		}
		json_decref(d);
		if (t->run.pids_limit_hits && n_ev < max_ev) {
			d = json_pack("{s:s, s:I}", "test", t->name, "refused_forks",
				      (json_int_t)t->run.pids_limit_hits);
			ev_text[n_ev] = json_dumps(d, JSON_COMPACT);
			json_decref(d);
			ev[n_ev].kind = "pids_limit";
			ev[n_ev].detail_json = ev_text[n_ev];
			n_ev++;
		}
	}
	struct queue_outcome o = {
		.verdict = verdict_to_string(res.verdict),
		.score = res.score,
		.max_score = res.max_score,
		.compiler_output = res.build_output,
		.message = res.message,
		.tests = tr,
		.n_tests = res.n_tests,
		.events = ev,
		.n_events = n_ev,
	};
	/* The phases were recorded as the worker reported them (take_progress()). */
	r = queue_complete(s->db, &sl->job, &o);
	if (r == -ESTALE)
		log_notice("job %" PRIi64 ": lease lost (cancelled or re-claimed), result dropped",
			   sl->job.id);
	else if (r < 0 && r != -EBUSY)
		/* Nothing was written; the lease expires and the job is graded again. */
		log_error_errno(r, "job %" PRIi64 ": cannot record the result, will retry: %m",
				sl->job.id);
	else if (r == 0)
		log_info("job %" PRIi64 ": %s %g/%g", sl->job.id, o.verdict, o.score, o.max_score);
	for (size_t i = 0; i < n_ev; i++)
		free(ev_text[i]);
	free(ev_text);
	free(ev);
	free(tr);
	pipeline_result_clear(&res);
	return r;
}

static void
slot_release(struct slot *sl)
{
	struct server *s = sl->srv;
	if (sl->ev_pid)
		event_free(sl->ev_pid);
	if (sl->ev_out)
		event_free(sl->ev_out);
	if (sl->buf)
		evbuffer_free(sl->buf);
	if (sl->pidfd >= 0)
		close(sl->pidfd);
	if (sl->out_fd >= 0)
		close(sl->out_fd);
	json_decref(sl->result);
	free(sl->fail_why);
	queue_job_clear(&sl->job);
	*sl = (struct slot){.srv = s, .index = sl->index, .pidfd = -1, .out_fd = -1};
	s->busy--;
	event_active(s->ev_claim, EV_TIMEOUT, 0);
}

/* Records a finished worker's outcome, or leaves it waiting (sl->settling) when another
 * process holds the database's write lock: on_tick() calls again. The job keeps its slot and
 * its lease meanwhile, so a lock neither loses a result nor has the job graded twice; only a
 * lock held past the lease does, as a dead server would (the result is then refused as
 * stale and the job graded again). Releases the slot once the outcome is written or refused. */
static void
slot_settle(struct slot *sl)
{
	struct server *s = sl->srv;
	int r;

	if (sl->result)
		r = record_outcome(s, sl, sl->result);
	else {
		bool requeued = false;
		r = queue_fail(s->db, &sl->job, sl->fail_why, false, &requeued);
		if (r != -EBUSY)
			log_warning("job %" PRIi64 ": %s%s", sl->job.id, sl->fail_why,
				    requeued ? ", requeued" : "");
	}
	if (r == -EBUSY) {
		if (!sl->settle_since_ns) {
			sl->settle_since_ns = util_now_ns();
			log_notice("job %" PRIi64 ": the database is locked by another process; "
				   "the outcome waits in memory",
				   sl->job.id);
		}
		return;
	}
	if (r == -ENOMEM) /* the other failures were said where they happened */
		log_error("job %" PRIi64 ": out of memory while recording the outcome; the job is "
			  "graded again after its lease",
			  sl->job.id);
	if (sl->settle_since_ns)
		log_notice("job %" PRIi64 ": outcome %s after waiting %.1f s for the database",
			   sl->job.id, r == 0 ? "recorded" : "not recorded",
			   (double)(util_now_ns() - sl->settle_since_ns) / 1e9);
	slot_release(sl);
}

static void
slot_finish(struct slot *sl)
{
	size_t len = evbuffer_get_length(sl->buf);
	json_t *j = NULL;

	if (len > 0) {
		char *txt = (char *)evbuffer_pullup(sl->buf, (ssize_t)len);
		j = json_loadb(txt, len, 0, NULL);
	}
	if (j) {
		sl->result = j;
	} else {
		char why[256];
		json_error_t jerr = {0};
		if (len > 0) {
			/* Parsed again only to say why it failed. */
			char *txt = (char *)evbuffer_pullup(sl->buf, (ssize_t)len);
			json_decref(json_loadb(txt, len, 0, &jerr));
			snprintf(
				why, sizeof(why),
				"grading worker's result unreadable (%zu bytes, status %d): %.150s",
				len, sl->wait_status, jerr.text);
		} else
			snprintf(why, sizeof(why),
				 "grading worker died (status %d) without a result",
				 sl->wait_status);
		sl->fail_why = strdup(why);
		if (!sl->fail_why) {
			/* Nothing can be recorded: the lease expires and the job is graded again. */
			log_error("job %" PRIi64 ": %s; out of memory", sl->job.id, why);
			slot_release(sl);
			return;
		}
	}
	sl->settling = true;
	slot_settle(sl);
}

/* Stops a slot's worker: now, or as soon as the spawner says which process it is. */
static void
slot_kill(struct slot *sl)
{
	if (sl->spawning)
		sl->kill_pending = true;
	else if (sl->pid > 0 && !sl->exited)
		(void)kill(sl->pid, SIGKILL);
}

static int
slot_start(struct server *s, struct slot *sl)
{
	char assignment_dir[PATH_MAX * 2], tarball[PATH_MAX * 2], evidence[PATH_MAX + 16];
	int pfd[2];

	snprintf(assignment_dir, sizeof(assignment_dir), "%s/%s", s->data_dir, sl->job.tests_blob);
	snprintf(tarball, sizeof(tarball), "%s/%s", s->data_dir, sl->job.blob_path);
	snprintf(evidence, sizeof(evidence), "%s/evidence", s->data_dir);
	struct worker_job wj = {.id = sl->job.id,
				.attempt = sl->job.attempt,
				.assignment_dir = assignment_dir,
				.tarball = tarball,
				.evidence_dir = evidence};

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	sl->out_fd = pfd[0];
	sl->buf = evbuffer_new();
	sl->ev_out = event_new(s->base, sl->out_fd, EV_READ | EV_PERSIST, on_worker_out, sl);
	if (!sl->buf || !sl->ev_out) {
		(void)close(pfd[1]);
		return -ENOMEM; /* the caller releases the slot */
	}
	evutil_make_socket_nonblocking(sl->out_fd);
	sl->started_ns = sl->last_heartbeat_ns = util_now_ns();
	int r = spawner_submit(s->spawner, &wj, pfd[1], sl); /* takes pfd[1] */
	if (r < 0)
		return r;
	sl->spawning = true;
	event_add(sl->ev_out, NULL);
	return 0;
}

static void
start_failed(struct server *s, struct slot *sl, int error)
{
	bool requeued = false;
	char why[128];
	snprintf(why, sizeof(why), "cannot start a grading worker: %s", strerror(-error));
	log_error("job %" PRIi64 ": %s", sl->job.id, why);
	(void)queue_fail(s->db, &sl->job, why, false, &requeued);
	slot_release(sl);
}

/* The spawner finished starting workers (or failed to). */
static void
on_spawned(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	void *cookie;
	pid_t pid;
	int pidfd, error;
	(void)fd;
	(void)what;

	while (spawner_collect(s->spawner, &cookie, &pid, &pidfd, &error) > 0) {
		struct slot *sl = cookie;
		sl->spawning = false;
		if (error < 0) {
			start_failed(s, sl, error);
			continue;
		}
		sl->pid = pid;
		sl->pidfd = pidfd;
		sl->ev_pid =
			event_new(s->base, sl->pidfd, EV_READ | EV_PERSIST, on_worker_exit, sl);
		if (!sl->ev_pid) {
			/* No way to see it end: stop it, retry the job. */
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			start_failed(s, sl, -ENOMEM);
			continue;
		}
		event_add(sl->ev_pid, NULL);
		if (sl->kill_pending)
			(void)kill(pid, SIGKILL);
	}
}

static void
claim_jobs(struct server *s)
{
	if (s->draining)
		return;
	for (unsigned i = 0; i < s->n_slots && s->busy < s->n_slots; i++) {
		struct slot *sl = &s->slots[i];
		char owner[128];
		if (sl->busy)
			continue;
		snprintf(owner, sizeof(owner), "%s:%u", s->owner_prefix, i);
		int r = queue_claim(s->db, owner, s->lease_ms, &sl->job);
		if (r == -EBUSY) {
			/* Tried at every tick while the lock lasts: said once. */
			if (!s->claims_locked)
				log_notice(
					"the database is locked by another process; claims wait");
			s->claims_locked = true;
			return;
		}
		if (r < 0) {
			log_warning_errno(r, "claim failed, will retry: %m");
			return;
		}
		if (s->claims_locked)
			log_notice("the database is writable again");
		s->claims_locked = false;
		if (r == 0)
			return; /* nothing queued */
		sl->busy = true;
		s->busy++;
		log_info("job %" PRIi64 ": claimed (attempt %d) by slot %u", sl->job.id,
			 sl->job.attempt, i);
		r = slot_start(s, sl);
		if (r < 0) {
			start_failed(s, sl, r);
			return;
		}
	}
}

static void
on_claim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	claim_jobs(arg);
}

static void
api_wake(void *arg)
{
	struct server *s = arg;
	event_active(s->ev_claim, EV_TIMEOUT, 0);
}

/* A cancel through the API: stop that job's worker now rather than at its next write. */
static void
api_cancelled(void *arg, int64_t job_id)
{
	struct server *s = arg;
	for (unsigned i = 0; i < s->n_slots; i++)
		if (s->slots[i].busy && s->slots[i].job.id == job_id)
			slot_kill(&s->slots[i]);
}

static void
api_health(void *arg, int *ret_slots, int *ret_busy, int *ret_draining)
{
	struct server *s = arg;
	*ret_slots = (int)s->n_slots;
	*ret_busy = (int)s->busy;
	*ret_draining = s->draining;
}

/* Past the drain deadline: true once no worker runs (busy slots only hold outcomes waiting
 * for the database, which the teardown tries to record one last time). */
static bool
shutdown_ready(const struct server *s)
{
	for (unsigned i = 0; i < s->n_slots; i++)
		if (s->slots[i].busy && !s->slots[i].settling)
			return false;
	return true;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	uint64_t now = util_now_ns();
	(void)fd;
	(void)what;

	/* Keep our leases alive; a lost lease (cancel) ends the worker. Outcomes that found the
	 * database locked are tried again. */
	for (unsigned i = 0; i < s->n_slots; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->busy && sl->settling) {
			slot_settle(sl);
			continue;
		}
		if (!sl->busy || sl->exited)
			continue;
		if ((now - sl->last_heartbeat_ns) / 1000000ULL < (uint64_t)s->lease_ms / 3)
			continue;
		int r = queue_heartbeat(s->db, &sl->job, s->lease_ms);
		if (r == -ESTALE) {
			log_notice("job %" PRIi64 ": lease lost (cancelled?), stopping its worker",
				   sl->job.id);
			slot_kill(sl);
		} else if (r == 0)
			sl->last_heartbeat_ns = now;
	}
	if ((now - s->last_requeue_ns) / 1000000ULL >= 1000) {
		size_t n = 0;
		if (queue_requeue_expired(s->db, &n) == 0 && n > 0)
			log_notice("requeued %zu job(s) whose lease expired", n);
		s->last_requeue_ns = now;
	}
	if (s->draining) {
		if (s->busy == 0) {
			log_notice("drained, exiting");
			event_base_loopexit(s->base, NULL);
		} else if (now >= s->drain_deadline_ns) {
			/* Out of patience: the jobs go back to the queue for the next start, and an
			 * outcome still waiting for the database gets its last try at the exit. */
			for (unsigned i = 0; i < s->n_slots; i++)
				if (s->slots[i].busy && !s->slots[i].settling)
					slot_kill(&s->slots[i]);
			if (shutdown_ready(s))
				event_base_loopexit(s->base, NULL);
		}
		return;
	}
	claim_jobs(s);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	(void)what;
	if (sig == SIGHUP) {
		log_notice("SIGHUP: nothing to reload");
		return;
	}
	if (s->draining) {
		log_notice("second signal: stopping running jobs now");
		s->drain_deadline_ns = 0;
		return;
	}
	log_notice("%s: draining (no new claims; %u job(s) running)", strsignal((int)sig), s->busy);
	s->draining = true;
	s->drain_deadline_ns = util_now_ns() + s->drain_timeout_ms * 1000000ULL;
}

static void
serve_usage(FILE *f)
{
	fputs("usage: gradebox serve [OPTIONS]\n"
	      "\n"
	      "  --data-dir DIR       database, blobs, token (default $GRADEBOX_DATA or "
	      "/var/lib/gradebox)\n"
	      "  --bind ADDR          listen address (default 127.0.0.1)\n"
	      "  --port N             HTTP port (default 8470)\n"
	      "  --slots N            concurrent grading jobs (default: number of cores)\n"
	      "  --lease SECONDS      job lease; a dead server's jobs are retried after it "
	      "(default 30)\n"
	      "  --drain-timeout S    on SIGTERM, wait this long for running jobs (default 60)\n"
	      "  --image DIR          toolchain image for builds and tests (default: "
	      "host-derived)\n"
	      "  --schema-dir DIR     SQL migrations (default: schema/ next to the binary)\n"
	      "  --max-body SIZE      largest request body (default 64M)\n",
	      f);
}

/* schema/ next to the binary's directory (the build tree), else the installed copy. */
static void
schema_dir_default(const char *self_dir, char *buf, size_t size)
{
	snprintf(buf, size, "%.3000s/../schema", self_dir);
	if (access(buf, R_OK) < 0)
		snprintf(buf, size, "/usr/share/gradebox/schema");
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"bind", required_argument, NULL, 'b'},
		{"port", required_argument, NULL, 'p'},
		{"slots", required_argument, NULL, 's'},
		{"lease", required_argument, NULL, 'l'},
		{"drain-timeout", required_argument, NULL, 'D'},
		{"image", required_argument, NULL, 'i'},
		{"schema-dir", required_argument, NULL, 'S'},
		{"max-body", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct server s = {
		.bind = "127.0.0.1", .port = 8470, .lease_ms = 30000, .drain_timeout_ms = 60000};
	const char *data = getenv("GRADEBOX_DATA");
	uint64_t v, max_body = 64ULL << 20;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int o, rc = 2, r;

	s.n_slots = ncpu > 0 ? (unsigned)ncpu : 1;
	snprintf(s.data_dir, sizeof(s.data_dir), "%s", data && *data ? data : "/var/lib/gradebox");
	char self_dir[PATH_MAX];
	r = util_self_dir(self_dir, sizeof(self_dir));
	if (r < 0)
		return log_error_errno(r, "serve: cannot find my own binary: %m"), 2;
	schema_dir_default(self_dir, s.schema_dir, sizeof(s.schema_dir));
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			snprintf(s.data_dir, sizeof(s.data_dir), "%s", optarg);
			break;
		case 'b':
			s.bind = optarg;
			break;
		case 'p':
			if (util_parse_u64(optarg, &v) < 0 || v == 0 || v > 65535)
				return log_error("--port: invalid port '%s'", optarg), 2;
			s.port = (unsigned)v;
			break;
		case 's':
			if (util_parse_u64(optarg, &v) < 0 || v == 0 || v > 256)
				return log_error("--slots: expected 1..256, got '%s'", optarg), 2;
			s.n_slots = (unsigned)v;
			break;
		case 'l':
			if (util_parse_seconds_ms(optarg, &v) < 0 || v < 1000)
				return log_error("--lease: at least 1 second, got '%s'", optarg), 2;
			s.lease_ms = (int64_t)v;
			break;
		case 'D':
			if (util_parse_seconds_ms(optarg, &v) < 0)
				return log_error("--drain-timeout: invalid '%s'", optarg), 2;
			s.drain_timeout_ms = v;
			break;
		case 'i':
			s.image = optarg;
			break;
		case 'S':
			snprintf(s.schema_dir, sizeof(s.schema_dir), "%s", optarg);
			break;
		case 'm':
			if (util_parse_size(optarg, &max_body) < 0)
				return log_error("--max-body: invalid size '%s'", optarg), 2;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			serve_usage(stderr);
			return 2;
		}
	}
	if (geteuid() != 0)
		return log_error("serve: must run as root (it creates sandboxes)"), 2;
	log_max_level = LOG_LEVEL_INFO;

	/* 1. configuration and state */
	if ((r = util_mkdir_p(s.data_dir, 0700)) < 0)
		return log_error_errno(r, "serve: cannot create data dir %s: %m", s.data_dir), 2;
	if ((r = ensure_token(&s)) < 0)
		return log_error_errno(r, "serve: cannot create the staff token: %m"), 2;
	cli_policy_dir(NULL, s.policy_dir, sizeof(s.policy_dir));
	char host[64] = "localhost";
	(void)gethostname(host, sizeof(host) - 1);
	snprintf(s.owner_prefix, sizeof(s.owner_prefix), "%.60s:%d", host, (int)getpid());
	(void)run_cleanup_stale(NULL, NULL);

	/* 2. database */
	char dbpath[PATH_MAX + 16];
	snprintf(dbpath, sizeof(dbpath), "%s/gradebox.db", s.data_dir);
	r = db_open(dbpath, s.schema_dir, &s.db);
	if (r < 0)
		return log_error_errno(r, "serve: cannot open %s: %m", dbpath), 2;
	r = db_set_busy_timeout(s.db, LOOP_BUSY_MS);
	if (r < 0)
		return log_error_errno(r, "serve: cannot set the database's busy timeout: %m"), 2;

	/* 3. event base, signals, timers, HTTP */
	/* Keep freed heap mapped. glibc returns the top of the heap to the kernel as soon as
	 * 128 KiB or so are free, and recording a job's result allocates and frees a block of
	 * about 184 KiB several times: each cycle was a brk() pair, ~46 page faults and a TLB
	 * flush, 0.1-4 ms of the event loop each (perf trace, docs/performance.md), paid by the
	 * status queries waiting behind it. The heap's high-water mark stays small and flat
	 * (bench/rss.sh). Blocks up to 4 MiB come from the heap too (else each would be an
	 * mmap/munmap pair with the same faults); larger ones are mapped on their own. */
	(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 16 << 20);
	(void)mallopt(M_TOP_PAD, 1 << 20);
	s.slots = calloc(s.n_slots, sizeof(*s.slots));
	s.base = event_base_new();
	if (!s.slots || !s.base)
		goto out;
	for (unsigned i = 0; i < s.n_slots; i++)
		s.slots[i] = (struct slot){.srv = &s, .index = i, .pidfd = -1, .out_fd = -1};
	s.ev_term = evsignal_new(s.base, SIGTERM, on_signal, &s);
	s.ev_int = evsignal_new(s.base, SIGINT, on_signal, &s);
	s.ev_hup = evsignal_new(s.base, SIGHUP, on_signal, &s);
	s.ev_tick = event_new(s.base, -1, EV_PERSIST, on_tick, &s);
	s.ev_claim = event_new(s.base, -1, 0, on_claim, &s);
	struct timeval tick = {.tv_sec = 0, .tv_usec = TICK_MS * 1000};
	if (!s.ev_term || !s.ev_int || !s.ev_hup || !s.ev_tick || !s.ev_claim ||
	    event_add(s.ev_term, NULL) < 0 || event_add(s.ev_int, NULL) < 0 ||
	    event_add(s.ev_hup, NULL) < 0 || event_add(s.ev_tick, &tick) < 0)
		goto out;
	/* A dead client must not kill the server. */
	(void)signal(SIGPIPE, SIG_IGN);
	r = spawner_new(&s.spawner);
	if (r < 0) {
		log_error_errno(r, "serve: cannot start the worker spawner: %m");
		goto out;
	}
	s.ev_spawned =
		event_new(s.base, spawner_fd(s.spawner), EV_READ | EV_PERSIST, on_spawned, &s);
	if (!s.ev_spawned || event_add(s.ev_spawned, NULL) < 0)
		goto out;

	s.http = evhttp_new(s.base);
	if (!s.http)
		goto out;
	evhttp_set_max_body_size(s.http, (ev_ssize_t)max_body);
	evhttp_set_timeout(s.http, 30);
	s.api = (struct api_context){.db = s.db,
				     .data_dir = s.data_dir,
				     .token = s.token,
				     .max_body = max_body,
				     .wake = api_wake,
				     .health = api_health,
				     .cancelled = api_cancelled,
				     .arg = &s};
	if ((r = api_register(s.http, &s.api)) < 0) {
		log_error_errno(r, "serve: cannot register the API: %m");
		goto out;
	}
	if (evhttp_bind_socket(s.http, s.bind, (ev_uint16_t)s.port) < 0) {
		log_error("serve: cannot listen on %s:%u: %m", s.bind, s.port);
		goto out;
	}
	log_notice("serving http://%s:%u with %u slot(s), data in %s", s.bind, s.port, s.n_slots,
		   s.data_dir);
	event_active(s.ev_claim, EV_TIMEOUT, 0);

	/* 4. run */
	if (event_base_dispatch(s.base) < 0)
		goto out;
	rc = 0;

out:
	/* 5. tear down in reverse order */
	/* Workers still being spawned get their pids first (and die with the spawner thread). */
	if (s.spawner) {
		spawner_stop(s.spawner);
		on_spawned(-1, 0, &s);
	}
	if (s.db)
		(void)db_set_busy_timeout(s.db, SHUTDOWN_BUSY_MS);
	for (unsigned i = 0; s.slots && i < s.n_slots; i++)
		if (s.slots[i].busy && s.slots[i].settling) {
			slot_settle(&s.slots[i]);
			if (s.slots[i].busy) {
				/* Still locked: nothing is written, the lease expires, and the job is
				 * graded again (by the next server on this database). */
				log_warning(
					"job %" PRIi64 ": outcome not recorded (the database is "
					"still locked); the job is graded again after its lease",
					s.slots[i].job.id);
				slot_release(&s.slots[i]);
			}
		} else if (s.slots[i].busy) {
			if (s.slots[i].pid > 0) {
				(void)kill(s.slots[i].pid, SIGKILL);
				(void)waitpid(s.slots[i].pid, NULL, 0);
			}
			bool requeued;
			(void)queue_fail(s.db, &s.slots[i].job, "server stopped", false, &requeued);
			slot_release(&s.slots[i]);
		}
	if (s.http)
		evhttp_free(s.http);
	if (s.ev_spawned)
		event_free(s.ev_spawned);
	spawner_free(s.spawner);
	if (s.ev_claim)
		event_free(s.ev_claim);
	if (s.ev_tick)
		event_free(s.ev_tick);
	if (s.ev_hup)
		event_free(s.ev_hup);
	if (s.ev_int)
		event_free(s.ev_int);
	if (s.ev_term)
		event_free(s.ev_term);
	if (s.base)
		event_base_free(s.base);
	free(s.slots);
	db_free(s.db);
	return rc;
}
