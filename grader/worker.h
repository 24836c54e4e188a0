/* SPDX-License-Identifier: MIT */
/* Grading workers: one process per job, `gradebox-grader worker ...`, and the thread that
 * starts them for the server's event loop. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* What a worker needs to grade one job. */
struct worker_job {
	int64_t id;
	int attempt;
	const char *assignment_dir; /* the assignment's tests blob, unpacked */
	const char *tarball;
	const char *evidence_dir;
};

/* The worker's side: `gradebox-grader worker JOB_ID ATTEMPT ASSIGNMENT_DIR TARBALL SCRATCH
 * EVIDENCE SERVER_PID`; on fd 3 "phase unpacked" and "phase built" lines as the job reaches
 * them, then the result as JSON. */
int cmd_worker(int argc, char **argv);

/* Starts workers on a thread of its own. posix_spawn() suspends its caller until the child
 * has begun its exec (vfork), 2-7 ms here with both CPUs grading; on the event loop's thread
 * every status query waited for it. */
struct spawner;

int spawner_new(struct spawner **ret);
/* Ends the thread once the spawns asked for are done; their results can still be collected.
 * Workers die with the thread (their PR_SET_PDEATHSIG), so only when the server stops. */
void spawner_stop(struct spawner *sp);
/* Stops, drops what nobody collected, frees. */
void spawner_free(struct spawner *sp);
/* The fd the event loop watches: readable when a spawn has finished. */
int spawner_fd(const struct spawner *sp);
/* Asks for a worker for JOB writing its result to OUT_FD (taken: closed once the worker has it
 * or the spawn failed). COOKIE comes back with the result. */
int spawner_submit(struct spawner *sp, const struct worker_job *job, int out_fd, void *cookie);
/* One finished spawn: 1 and its cookie, pid and pidfd (owned by the caller; the worker is a
 * child of this process), or its error as -errno in *ret_error; 0 when none is ready. */
int spawner_collect(struct spawner *sp, void **ret_cookie, pid_t *ret_pid, int *ret_pidfd,
		    int *ret_error);
