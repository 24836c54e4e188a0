/* SPDX-License-Identifier: MIT */
/* Verdicts of tests and submissions, and how a sandbox status becomes one. Pure. */
#pragma once

#include "run.h"

enum verdict {
	VERDICT_AC,  /* accepted */
	VERDICT_WA,  /* wrong answer */
	VERDICT_CE,  /* the build failed (or an expected file is missing) */
	VERDICT_TLE, /* CPU or wall time limit */
	VERDICT_MLE, /* memory limit */
	VERDICT_OLE, /* output limit */
	VERDICT_RE,  /* non-zero exit */
	VERDICT_SG,  /* killed by a signal */
	VERDICT_SV,  /* security violation: a syscall outside the policy */
	VERDICT_RJ,  /* the archive was rejected at intake (reason names the entry) */
	VERDICT_IE,  /* internal error: the grader's fault, never the student's */
	_VERDICT_MAX,
	_VERDICT_INVALID = -22,
};

const char *verdict_to_string(enum verdict v);
enum verdict verdict_from_string(const char *s);

/* A test's verdict from its sandbox status; @output_ok is the checker's answer (only read for
 * RUN_OK). */
enum verdict verdict_from_run(enum run_status s, bool output_ok);

/* A build's verdict from its sandbox status: any failure of the student's build is CE, except
 * a security violation (SV) and our own failure (IE). */
enum verdict verdict_from_build(enum run_status s);

/* Severity used to pick a submission's verdict from its tests' verdicts (higher wins):
 * IE > SV > RJ > CE > MLE > TLE > OLE > SG > RE > WA > AC. */
int verdict_severity(enum verdict v);
