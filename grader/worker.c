/* SPDX-License-Identifier: MIT */
/* Grading workers. A worker is `gradebox-grader worker ...`, spawned (vfork and exec), never
 * a fork of the server: after a fork() every page the event loop writes is copied on its
 * first write, each copy with a TLB-shootdown IPI to the other CPU, and recording one job's
 * result took 15-20 ms of the event loop here, which every status query behind it waited
 * for (docs/performance.md). A fresh process also inherits nothing of the server: no
 * database handle, no epoll set, no client connection, no token in memory.
 *
 * The spawn itself runs on a thread of its own, the spawner: vfork suspends the caller until
 * the child has begun its exec, 2-7 ms with both CPUs grading. The thread only spawns; it
 * shares no state with the event loop but two pipes that carry pointers to requests. */
#include "worker.h"

#include "cli.h"
#include "log.h"
#include "pipeline.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int
cmd_worker(int argc, char **argv)
{
	struct pipeline_result res;
	char err[512] = "";

	/* JOB_ID ATTEMPT ASSIGNMENT_DIR TARBALL SCRATCH EVIDENCE SERVER_PID; result on fd 3. */
	if (argc != 8) {
		log_error("worker: internal command, started by `gradebox serve`");
		return 2;
	}
	const char *job = argv[1];
	/* Dies with the server (the spawner thread, precisely, which lives as long): its
	 * sandboxes die with it in turn (their init's PDEATHSIG). The server may have died
	 * before this line: then the parent is no longer the server. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)strtol(argv[7], NULL, 10)) {
		log_error("worker: job %s: the server (pid %s) is gone; not grading", job, argv[7]);
		return 3;
	}
	(void)prctl(PR_SET_NAME, "gradebox-worker");
	/* Grading yields to the event loop, so that status queries are answered while every core
	 * compiles: at worst at the next scheduler tick, since this kernel does not always preempt
	 * a grader when the loop wakes (docs/performance.md, status latency; SCHED_IDLE measured
	 * no better). On cgroup v2 the sandboxes' groups carry this niceness as their cpu.weight
	 * (run_cpu_weight_of()). All workers get the same niceness, so tests still compete
	 * fairly with each other. (posix_spawn cannot set SCHED_BATCH: glibc takes only OTHER,
	 * FIFO and RR.) */
	struct sched_param sp = {0};
	(void)sched_setscheduler(0, SCHED_BATCH, &sp);
	(void)setpriority(PRIO_PROCESS, 0, 10);
	/* fd 3: the phases as they are reached, then the result. */
	int r = cli_grade_one(argv[3], argv[4], argv[5], argv[6], 3, &res, err, sizeof(err));
	json_t *j;
	if (r < 0)
		j = json_pack("{s:s, s:s}", "internal_error", err, "verdict", "IE");
	else
		j = pipeline_result_to_json(&res);
	char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int w = txt ? util_write_all(3, txt, strlen(txt)) : -ENOMEM;
	if (w < 0)
		log_error_errno(w, "job %s: cannot hand the result to the server (fd 3): %m", job);
	return w < 0 ? 3 : 0;
}

/* ---- the spawner ---- */

enum {
	ARG_ID = 2,
	ARG_ATTEMPT,
	ARG_ASSIGNMENT,
	ARG_TARBALL,
	ARG_SCRATCH,
	ARG_EVIDENCE,
	ARG_PID
};

struct spawn_req {
	void *cookie;
	int out_fd;	/* owned until the spawn: the result pipe's write end */
	char *argv[10]; /* owned strings but [0], [1] */
	pid_t pid;	/* results */
	int pidfd;
	int error;
};

struct spawner {
	pthread_t thread;
	bool running;
	int req[2];   /* event loop -> thread: struct spawn_req * */
	int reply[2]; /* thread -> event loop: the same pointer, done */
};

static void
req_free(struct spawn_req *q)
{
	if (!q)
		return;
	for (int i = ARG_ID; i < (int)ELEMENTSOF(q->argv); i++)
		free(q->argv[i]);
	if (q->out_fd >= 0)
		(void)close(q->out_fd);
	free(q);
}

static int
spawn_one(struct spawn_req *q)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/* The result pipe becomes fd 3; nothing else of the server's is kept. (Never 3 here:
	 * the database holds the low numbers; dup2(3, 3) would keep close-on-exec.) */
	int r = q->out_fd == 3 ? EBADF : posix_spawn_file_actions_adddup2(&fa, q->out_fd, 3);
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 4);
	if (r == 0)
		r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&at, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&at, &all);
	/* /proc/self/exe: this very binary, even if a newer one was installed since. */
	if (r == 0)
		r = posix_spawn(&q->pid, "/proc/self/exe", &fa, &at, q->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r != 0)
		return -r;
	/* Our child, not reaped before the event loop waits for it: the pid cannot be reused. */
	q->pidfd = (int)syscall(SYS_pidfd_open, q->pid, 0);
	if (q->pidfd < 0) {
		r = -errno;
		(void)kill(q->pid, SIGKILL);
		(void)waitpid(q->pid, NULL, 0);
		return r;
	}
	return 0;
}

static void *
spawner_main(void *arg)
{
	struct spawner *sp = arg;
	struct spawn_req *q;

	for (;;) {
		ssize_t n = read(sp->req[0], &q, sizeof(q));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(q))
			break; /* closed: the server stops */
		q->error = spawn_one(q);
		(void)close(q->out_fd); /* the worker has its copy */
		q->out_fd = -1;
		/* A pointer is 8 bytes: pipe writes that small are atomic and the pipe holds
		 * thousands; the event loop reads them all. */
		while (write(sp->reply[1], &q, sizeof(q)) < 0 && errno == EINTR)
			;
	}
	return NULL;
}

int
spawner_new(struct spawner **ret)
{
	struct spawner *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->req[0] = sp->req[1] = sp->reply[0] = sp->reply[1] = -1;
	int r = 0;
	if (pipe2(sp->req, O_CLOEXEC) < 0 || pipe2(sp->reply, O_CLOEXEC | O_NONBLOCK) < 0)
		r = -errno;
	if (r == 0) {
		/* Signals are the event loop's: the thread starts with all of them blocked. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = -pthread_create(&sp->thread, NULL, spawner_main, sp);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		sp->running = r == 0;
	}
	if (r < 0) {
		spawner_free(sp);
		return r;
	}
	*ret = sp;
	return 0;
}

void
spawner_stop(struct spawner *sp)
{
	if (sp->req[1] >= 0) {
		(void)close(sp->req[1]);
		sp->req[1] = -1;
	}
	if (sp->running)
		(void)pthread_join(sp->thread, NULL);
	sp->running = false;
}

void
spawner_free(struct spawner *sp)
{
	if (!sp)
		return;
	spawner_stop(sp);
	/* Finished spawns nobody collected (the caller collects before this when it must). */
	struct spawn_req *q;
	while (sp->reply[0] >= 0 && read(sp->reply[0], &q, sizeof(q)) == sizeof(q)) {
		if (q->pidfd >= 0)
			(void)close(q->pidfd);
		req_free(q);
	}
	if (sp->req[0] >= 0)
		(void)close(sp->req[0]);
	for (int i = 0; i < 2; i++)
		if (sp->reply[i] >= 0)
			(void)close(sp->reply[i]);
	free(sp);
}

int
spawner_fd(const struct spawner *sp)
{
	return sp->reply[0];
}

int
spawner_submit(struct spawner *sp, const struct worker_job *job, int out_fd, void *cookie)
{
	struct spawn_req *q = calloc(1, sizeof(*q));
	if (!q) {
		(void)close(out_fd);
		return -ENOMEM;
	}
	q->cookie = cookie;
	q->out_fd = out_fd;
	q->pidfd = -1;
	static char name[] = "gradebox-worker", cmd[] = "worker";
	q->argv[0] = name;
	q->argv[1] = cmd;
	int ok = asprintf(&q->argv[ARG_ID], "%" PRIi64, job->id) > 0 &&
		 asprintf(&q->argv[ARG_ATTEMPT], "%d", job->attempt) > 0 &&
		 (q->argv[ARG_ASSIGNMENT] = strdup(job->assignment_dir)) &&
		 (q->argv[ARG_TARBALL] = strdup(job->tarball)) &&
		 asprintf(&q->argv[ARG_SCRATCH], "/run/gradebox/jobs/job-%" PRIi64 "-%d", job->id,
			  job->attempt) > 0 &&
		 (q->argv[ARG_EVIDENCE] = strdup(job->evidence_dir)) &&
		 asprintf(&q->argv[ARG_PID], "%d", (int)getpid()) > 0;
	if (!ok) {
		req_free(q);
		return -ENOMEM;
	}
	ssize_t n;
	while ((n = write(sp->req[1], &q, sizeof(q))) < 0 && errno == EINTR)
		;
	if (n != sizeof(q)) {
		int r = n < 0 ? -errno : -EIO;
		req_free(q);
		return r;
	}
	return 0;
}

int
spawner_collect(struct spawner *sp, void **ret_cookie, pid_t *ret_pid, int *ret_pidfd,
		int *ret_error)
{
	struct spawn_req *q;
	ssize_t n = read(sp->reply[0], &q, sizeof(q));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n != sizeof(q))
		return 0;
	*ret_cookie = q->cookie;
	*ret_pid = q->error ? 0 : q->pid;
	*ret_pidfd = q->error ? -1 : q->pidfd;
	*ret_error = q->error;
	q->pidfd = -1;
	req_free(q);
	return 1;
}
