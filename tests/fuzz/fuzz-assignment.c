/* SPDX-License-Identifier: MIT */
/* Fuzzes the assignment spec parser: the bytes become assignment.json in a scratch directory
 * (created once per process) next to two small test files. Invariants on success: a name,
 * tests with unique names and non-negative points, a max score equal to their sum, non-zero
 * limits, every referenced file inside the directory. */
#include "assignment.h"

#include <assert.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void
setup(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/fuzz-assignment-%d", (int)getpid());
	if (mkdir(dir, 0700) < 0)
		abort();
	char p[128];
	const char *files[] = {"in1.txt", "out1.txt"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		FILE *f = fopen(p, "w");
		if (!f)
			abort();
		fputs("1 2 3\n", f);
		fclose(f);
	}
}

static void
teardown(void)
{
	char p[128];
	const char *files[] = {"in1.txt", "out1.txt", "assignment.json"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

static bool
inside(const char *path)
{
	return path && path[0] != '/' && !strstr(path, "..");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char p[128];
	struct assignment *a = NULL;
	struct assignment_error err = {0};

	if (!dir[0]) {
		setup();
		atexit(teardown);
	}
	snprintf(p, sizeof(p), "%s/assignment.json", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);

	int r = assignment_load(dir, &a, &err);
	if (r < 0) {
		/* A refusal always says why. */
		assert(err.message[0] != 0);
		return 0;
	}
	assert(a->name && a->name[0]);
	double sum = 0;
	for (size_t i = 0; i < a->n_tests; i++) {
		const struct assignment_test *t = &a->tests[i];
		assert(t->points >= 0 && isfinite(t->points));
		assert(!t->input || inside(t->input));
		assert(!t->expected || inside(t->expected));
		assert(t->limits.cpu_time_ms != 0 || a->limits.cpu_time_ms == 0);
		for (size_t k = 0; k < i; k++)
			assert(strcmp(a->tests[k].name, t->name) != 0);
		sum += t->points;
	}
	assert(fabs(sum - a->max_score) < 1e-6 * (1 + fabs(sum)));
	assert(!a->checker_program || inside(a->checker_program));
	assignment_free(a);
	return 0;
}
