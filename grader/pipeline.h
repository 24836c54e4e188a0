/* SPDX-License-Identifier: MIT */
/* Grades one submission: unpack (sandboxed, unpack policy) -> build once (build policy) ->
 * each test in a fresh sandbox over the same image and build output (run policy) -> check ->
 * score. Runs in a forked worker process (it blocks); the server only sees the result. */
#pragma once

#include "run.h"
#include "verdict.h"

#include <jansson.h>
#include <stdint.h>

struct assignment;

struct pipeline_config {
	const char *state_dir;	    /* NULL: /run/gradebox */
	const char *policy_dir;	    /* policies/ */
	const char *self_exe;	    /* the gradebox binary, bound into the unpack sandbox */
	const char *image;	    /* toolchain image; NULL: the host-derived base image */
	const char *scratch_dir;    /* where the worker's scratch tmpfs goes (already mounted) */
	uint64_t max_archive_bytes; /* decompressed total, unpack limit */
	uint64_t max_entries;
	const char *evidence_dir; /* where incident snapshots go; NULL: none */
	int progress_fd;	  /* <= 0: none. Else "phase unpacked\n" and "phase built\n" are
				   * written here as those steps end (the server records them
				   * live; the result JSON follows on the same pipe) */
};

/* An incident snapshot taken when a step was killed for a security violation. */
struct pipeline_evidence {
	char file[80]; /* "<sha256>.tar.gz" in the evidence dir, "" if none */
	char sha256[65];
};

struct pipeline_test {
	char name[65];
	enum verdict verdict;
	double score, max_score;
	struct run_result run;
	char *output_head;     /* owned, NUL-terminated, at most PIPELINE_OUTPUT_CAP bytes */
	char *output_tail;     /* owned, last bytes when the output was longer than the head */
	uint64_t output_bytes; /* stdout size as produced */
	char message[256];
	struct pipeline_evidence evidence; /* SV only */
};

#define PIPELINE_OUTPUT_CAP    4096
#define PIPELINE_BUILD_LOG_CAP 65536

struct pipeline_result {
	enum verdict verdict;
	double score, max_score;
	char message[512];
	char *build_output; /* owned: compiler stdout+stderr, capped */
	struct run_result unpack, build;
	struct pipeline_evidence build_evidence; /* SV during the build */
	struct pipeline_test *tests;		 /* owned */
	size_t n_tests;
	uint64_t unpacked_ms, built_ms, finished_ms; /* wall clock (ms since epoch) per phase */
};

/* Grades @tarball against @a. Always fills *ret (IE with a message when the grader itself
 * failed); returns 0, or -errno when nothing could be attempted. Free with
 * pipeline_result_clear(). */
int pipeline_grade(const struct pipeline_config *cfg, const struct assignment *a,
		   const char *tarball, struct pipeline_result *ret);

void pipeline_result_clear(struct pipeline_result *r);

/* The result as JSON (the worker sends it to the server over a pipe) and back. */
json_t *pipeline_result_to_json(const struct pipeline_result *r);
int pipeline_result_from_json(json_t *j, struct pipeline_result *ret);
