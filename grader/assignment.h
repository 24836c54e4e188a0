/* SPDX-License-Identifier: MIT */
/* The assignment spec: a directory holding assignment.json and the test files. Loaded and
 * validated strictly (unknown keys, wrong types, files outside the directory are all refused)
 * into a read-only struct whose strings are owned by the spec object. See
 * docs/assignment-format.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ASSIGNMENT_SPEC_FILE "assignment.json"

/* Why a spec was refused: the file, the field path ("tests[2].points", "limits.memory", "" for
 * the whole document) and a human-readable reason. Line/column are set for JSON syntax errors
 * (0 otherwise). */
struct assignment_error {
	char file[256];
	char field[128];
	char message[256];
	int line;
	int column;
};

enum assignment_language {
	ASSIGNMENT_LANGUAGE_C,
	ASSIGNMENT_LANGUAGE_PYTHON3,
	ASSIGNMENT_LANGUAGE_MAKE,
	_ASSIGNMENT_LANGUAGE_MAX,
	_ASSIGNMENT_LANGUAGE_INVALID = -22,
};

enum assignment_visibility {
	ASSIGNMENT_VISIBLE,	   /* results shown to the student at once */
	ASSIGNMENT_HIDDEN,	   /* never shown; counts towards the score */
	ASSIGNMENT_AFTER_DUE_DATE, /* shown once the due date passed */
	_ASSIGNMENT_VISIBILITY_MAX,
	_ASSIGNMENT_VISIBILITY_INVALID = -22,
};

enum assignment_checker {
	ASSIGNMENT_CHECKER_EXACT,   /* byte-exact */
	ASSIGNMENT_CHECKER_TOKENS,  /* whitespace-insensitive */
	ASSIGNMENT_CHECKER_FLOAT,   /* tokens, numbers within a tolerance */
	ASSIGNMENT_CHECKER_PROGRAM, /* an external checker program from the assignment dir */
	_ASSIGNMENT_CHECKER_MAX,
	_ASSIGNMENT_CHECKER_INVALID = -22,
};

enum assignment_on_violation {
	ASSIGNMENT_VIOLATION_FLAG, /* a seccomp kill is recorded (SV) and flagged for staff */
	ASSIGNMENT_VIOLATION_FAIL, /* ... and the whole submission scores 0 */
	_ASSIGNMENT_VIOLATION_MAX,
	_ASSIGNMENT_VIOLATION_INVALID = -22,
};

/* Resource limits. 0 means "not set here": a test inherits the spec's value, the spec the
 * server's default. Zero is never a valid limit, so the spec refuses it. */
struct assignment_limits {
	uint64_t cpu_time_ms;  /* CPU time of all processes */
	uint64_t wall_time_ms; /* wall clock */
	uint64_t memory;       /* bytes */
	uint64_t pids;
	uint64_t output;     /* bytes per stream */
	uint64_t disk;	     /* bytes of writable space */
	uint64_t file_size;  /* bytes, RLIMIT_FSIZE */
	uint64_t open_files; /* RLIMIT_NOFILE */
};

/* A command: argv as given, or ["/bin/sh", "-c", string] for the string form. */
struct assignment_command {
	const char *const *argv; /* NULL-terminated; NULL when absent */
	size_t argc;
	bool shell; /* given as a string */
};

struct assignment_test {
	const char *name;	     /* unique, [A-Za-z0-9._-]{1,64} */
	const char *input;	     /* file relative to the dir, or NULL */
	const char *stdin_text;	     /* literal stdin, or NULL (both NULL: empty stdin) */
	const char *expected;	     /* file relative to the dir, or NULL */
	const char *expected_stdout; /* literal expected stdout, or NULL */
	double points;		     /* >= 0 */
	enum assignment_visibility visibility;
	struct assignment_limits limits; /* the spec's limits with this test's overrides applied */
	const char *const *args;	 /* NULL-terminated extra arguments for run, never NULL */
	size_t n_args;
};

/* A loaded spec. Everything is owned by the object and read-only; free with assignment_free(). */
struct assignment {
	const char *dir;   /* as given to assignment_load() */
	const char *name;  /* [A-Za-z0-9._-]{1,64} */
	const char *title; /* NULL if absent */
	bool has_due;
	int64_t due_ms; /* ms since the epoch, when has_due */
	enum assignment_language language;
	struct assignment_command build; /* argv NULL: no build step (python3 only) */
	struct assignment_command run;
	struct assignment_limits limits;       /* for runs */
	struct assignment_limits build_limits; /* for the build */
	enum assignment_checker checker;
	double float_abs_tol; /* ASSIGNMENT_CHECKER_FLOAT */
	double float_rel_tol;
	const char *checker_program; /* ASSIGNMENT_CHECKER_PROGRAM: file relative to the dir */
	const struct assignment_test *tests;
	size_t n_tests;
	const char *const *expected_files; /* paths the submission must contain; NULL-terminated */
	size_t n_expected_files;
	enum assignment_on_violation on_violation;
	double max_score;      /* sum of the tests' points */
	const char *spec_json; /* the spec re-serialized compactly with sorted keys */
};

/* Loads and validates @dir/assignment.json. Every referenced file must be a regular file that
 * resolves inside @dir (no "..", no absolute paths, no symlink leading out). On success stores
 * a new spec in *ret (free with assignment_free()). On a bad spec returns -EINVAL and fills
 * *reterr (may be NULL); -ENOENT if assignment.json is missing, -ENOMEM, -EIO otherwise (also
 * described in *reterr). */
int assignment_load(const char *dir, struct assignment **ret, struct assignment_error *reterr);

struct assignment *assignment_free(struct assignment *a);
static inline void
assignment_freep(struct assignment **p)
{
	if (*p)
		(void)assignment_free(*p);
}

/* Names as written in the spec ("c", "hidden", "tokens", "flag"); NULL for out-of-range. */
const char *assignment_language_to_string(enum assignment_language l);
const char *assignment_visibility_to_string(enum assignment_visibility v);
const char *assignment_checker_to_string(enum assignment_checker c);
