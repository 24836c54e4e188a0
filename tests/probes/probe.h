/* SPDX-License-Identifier: MIT */
/* Shared helpers for the probes: small static programs that run inside the sandbox, try to
 * escape or gather information, and report one machine-checkable line per attempt:
 *
 *   RESULT blocked <what> errno=<NAME>     the attempt failed (exit 0 if nothing escaped)
 *   RESULT escaped <what> <detail>         the attempt SUCCEEDED (the probe exits 3)
 *   RESULT allowed <what> <detail>         an expected-to-work control (not an escape)
 *   RESULT info    <what> <detail>         observation only
 *   RESULT done    <what> <detail>         a limits probe (cpuspin, memhog...) finished
 *
 * stdout is unbuffered: a probe killed by the sandbox (seccomp, OOM) has already printed the
 * "TRY <what>" line naming the attempt that killed it. Exit codes: 0 nothing escaped, 1 the
 * probe itself failed, 2 usage or refused to run, 3 an attempt escaped. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_EXIT_OK	   0
#define PROBE_EXIT_ERROR   1
#define PROBE_EXIT_USAGE   2
#define PROBE_EXIT_ESCAPED 3

static int probe_escapes; /* number of "escaped" lines printed */

static inline void
probe_init(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
}

/* "EPERM" rather than "Operation not permitted": tests match on the symbolic name. */
static inline const char *
probe_errname(int err)
{
	const char *n = strerrorname_np(err);
	static char buf[32];
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static inline void
probe_try(const char *what)
{
	printf("TRY %s\n", what);
}

static inline void
probe_blocked(const char *what, int err)
{
	printf("RESULT blocked %s errno=%s\n", what, probe_errname(err));
}

static inline void __attribute__((format(printf, 2, 3)))
probe_escaped(const char *what, const char *fmt, ...)
{
	va_list ap;
	printf("RESULT escaped %s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	probe_escapes++;
}

static inline void __attribute__((format(printf, 3, 4)))
probe_report(const char *kind, const char *what, const char *fmt, ...)
{
	va_list ap;
	printf("RESULT %s %s ", kind, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline int
probe_exit_code(void)
{
	return probe_escapes ? PROBE_EXIT_ESCAPED : PROBE_EXIT_OK;
}

/* Probes that would do damage on the host (write /usr, forkbomb, mount, TIOCSTI...) refuse to
 * run as host root. Inside the sandbox they run as uid 1000; if a broken sandbox ran them as
 * uid 0 the refusal (exit 2) still fails the test that expected a block. PROBE_FORCE=1
 * overrides, for debugging inside some other sandbox. */
static inline void
probe_refuse_root(const char *name)
{
	const char *force = getenv("PROBE_FORCE");
	if (getuid() != 0 && geteuid() != 0)
		return;
	if (force && strcmp(force, "1") == 0)
		return;
	fprintf(stderr,
		"%s: refusing to run as uid 0: this probe is meant to run inside the sandbox "
		"(set PROBE_FORCE=1 to override)\n",
		name);
	printf("RESULT refused %s uid=0\n", name);
	exit(PROBE_EXIT_USAGE);
}

/* Parses "123", "64K", "10M", "1G" (binary units) into bytes. Returns false on junk. */
static inline bool
probe_parse_size(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	default:
		return false;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end != '\0')
		return false;
	*ret = (uint64_t)v * mul;
	return true;
}

static inline double
probe_clock_ms(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Sleeps @ms milliseconds of wall time, restarting after signals. */
static inline void
probe_sleep_ms(double ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1e3),
		.tv_nsec = (long)((ms - (double)(time_t)(ms / 1e3) * 1e3) * 1e6),
	};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
