/* SPDX-License-Identifier: MIT */
/* TAP harness: each test runs in its own forked child, because seccomp filters, namespaces and
 * capability drops cannot be undone in-process. Exit 0 passes, 77 skips, anything else fails. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAP_SKIP 77

struct tap_test {
	const char *name;
	int (*fn)(void);
};

#define TAP_TEST(f) {#f, f}

/* Fails the current test with a message naming the source line. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
			fflush(stdout);                                                            \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b) {                                                                    \
			printf("# %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,   \
			       _a, #b, _b);                                                        \
			fflush(stdout);                                                            \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
			printf("# %s:%d: '%s' != '%s'\n", __FILE__, __LINE__, _a ? _a : "(null)",      \
			       _b ? _b : "(null)");                                                \
			fflush(stdout);                                                            \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* A privileged test whose kernel feature is missing skips, unless GRADEBOX_MUST_WORK=1 (CI). */
static inline int
tap_skip(const char *why)
{
	const char *must = getenv("GRADEBOX_MUST_WORK");
	if (must && strcmp(must, "1") == 0) {
		printf("# GRADEBOX_MUST_WORK=1 forbids skipping: %s\n", why);
		return 1;
	}
	printf("# skip: %s\n", why);
	return TAP_SKIP;
}

static inline int
tap_run(const struct tap_test *t, size_t n)
{
	int failed = 0;

	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int status = 0;
		fflush(stdout); /* or buffered TAP lines are printed twice */
		pid_t pid = fork();
		if (pid == 0)
			_exit(t[i].fn()); /* filters and namespaces die with the child */
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			status = -1;
		if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			printf("ok %zu - %s\n", i + 1, t[i].name);
		else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == TAP_SKIP)
			printf("ok %zu - %s # SKIP\n", i + 1, t[i].name);
		else {
			failed++;
			if (status != -1 && WIFSIGNALED(status))
				printf("not ok %zu - %s (signal %d)\n", i + 1, t[i].name,
				       WTERMSIG(status));
			else
				printf("not ok %zu - %s (status %d)\n", i + 1, t[i].name,
				       status == -1 ? -1 : WEXITSTATUS(status));
		}
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

#define TAP_MAIN(...)                                                                              \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct tap_test tests[] = {__VA_ARGS__};                              \
		setvbuf(stdout, NULL, _IOLBF, 0);                                                  \
		return tap_run(tests, sizeof(tests) / sizeof(tests[0]));                           \
	}
