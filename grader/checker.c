/* SPDX-License-Identifier: MIT */
/* Output checkers over buffers. They see student output, so they never trust lengths beyond
 * what is passed, never assume NUL termination, and escape what they quote back. */
#include "checker.h"

#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Quoted excerpts in messages are cut to this many input bytes. */
#define EXCERPT 40

static void say(char *msg, size_t size, const char *fmt, ...) _printf_(3, 4);

static void
say(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!msg || size == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, size, fmt, ap);
	va_end(ap);
}

static void
clear(char *msg, size_t size)
{
	if (msg && size)
		msg[0] = 0;
}

static const char *
excerpt(const char *s, size_t len, char *buf, size_t size)
{
	if (!s || len == 0)
		return "";
	return log_escape(s, len > EXCERPT ? EXCERPT : len, buf, size);
}

static bool
bad_args(const char *a, size_t alen, const char *b, size_t blen)
{
	return (!a && alen) || (!b && blen);
}

int
checker_exact(const char *expected, size_t expected_len, const char *got, size_t got_len, char *msg,
	      size_t msg_size)
{
	size_t i = 0, line = 1, line_start = 0;
	char eb[4 * EXCERPT + 8], gb[4 * EXCERPT + 8];

	if (bad_args(expected, expected_len, got, got_len))
		return -EINVAL;
	clear(msg, msg_size);
	while (i < expected_len && i < got_len && expected[i] == got[i]) {
		if (expected[i] == '\n') {
			line++;
			line_start = i + 1;
		}
		i++;
	}
	if (i == expected_len && i == got_len)
		return 1;
	if (i == got_len) {
		say(msg, msg_size, "line %zu: output ends early, expected '%s'", line,
		    excerpt(expected + i, expected_len - i, eb, sizeof(eb)));
		return 0;
	}
	if (i == expected_len) {
		say(msg, msg_size, "line %zu: extra output '%s'", line,
		    excerpt(got + i, got_len - i, gb, sizeof(gb)));
		return 0;
	}
	say(msg, msg_size, "line %zu column %zu: expected '%s', got '%s'", line, i - line_start + 1,
	    excerpt(expected + i, expected_len - i, eb, sizeof(eb)),
	    excerpt(got + i, got_len - i, gb, sizeof(gb)));
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

struct cursor {
	const char *s;
	size_t len;
	size_t pos;
	size_t line; /* of the current token, 1-based */
};

/* Advances to the next token: sets *tok and *tok_len, returns false at the end. */
static bool
next_token(struct cursor *c, const char **tok, size_t *tok_len)
{
	while (c->pos < c->len && is_space(c->s[c->pos])) {
		if (c->s[c->pos] == '\n')
			c->line++;
		c->pos++;
	}
	if (c->pos == c->len)
		return false;
	size_t start = c->pos;
	while (c->pos < c->len && !is_space(c->s[c->pos]))
		c->pos++;
	*tok = c->s + start;
	*tok_len = c->pos - start;
	return true;
}

/* A decimal number token: [+-]digits[.digits][(e|E)[+-]digits], at least one digit in the
 * mantissa, or [+-]inf / [+-]infinity / nan (case-insensitive). Parsed into *ret. */
static bool
parse_number(const char *t, size_t len, double *ret)
{
	char buf[128];
	size_t i = 0, digits = 0;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, t, len);
	buf[len] = 0;
	if (buf[i] == '+' || buf[i] == '-')
		i++;
	if (strcasecmp(buf + i, "inf") == 0 || strcasecmp(buf + i, "infinity") == 0 ||
	    strcasecmp(buf + i, "nan") == 0) {
		*ret = strtod(buf, NULL);
		return true;
	}
	while (buf[i] >= '0' && buf[i] <= '9')
		i++, digits++;
	if (buf[i] == '.') {
		i++;
		while (buf[i] >= '0' && buf[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (buf[i] == 'e' || buf[i] == 'E') {
		size_t exp_digits = 0;
		i++;
		if (buf[i] == '+' || buf[i] == '-')
			i++;
		while (buf[i] >= '0' && buf[i] <= '9')
			i++, exp_digits++;
		if (exp_digits == 0)
			return false;
	}
	if (i != len)
		return false;
	/* The syntax is a subset of strtod's, so strtod consumes all of it; overflow gives
	 * +-HUGE_VAL, which compares like an infinity, as intended. */
	*ret = strtod(buf, NULL);
	return true;
}

static bool
numbers_close(double want, double have, double abs_tol, double rel_tol)
{
	if (isnan(want) || isnan(have))
		return isnan(want) && isnan(have);
	if (isinf(want) || isinf(have))
		return want == have;
	double d = fabs(have - want);
	return d <= abs_tol || d <= rel_tol * fabs(want);
}

/* The token walk shared by checker_tokens() and checker_float(); @numeric enables numbers. */
static int
compare_tokens(const char *expected, size_t expected_len, const char *got, size_t got_len,
	       bool numeric, double abs_tol, double rel_tol, char *msg, size_t msg_size)
{
	struct cursor e = {expected, expected_len, 0, 1}, g = {got, got_len, 0, 1};
	char eb[4 * EXCERPT + 8], gb[4 * EXCERPT + 8];
	size_t n = 0;

	if (bad_args(expected, expected_len, got, got_len))
		return -EINVAL;
	clear(msg, msg_size);
	for (;;) {
		const char *et = NULL, *gt = NULL;
		size_t el = 0, gl = 0;
		bool he = next_token(&e, &et, &el), hg = next_token(&g, &gt, &gl);

		n++;
		if (!he && !hg)
			return 1;
		if (!hg) {
			say(msg, msg_size, "token %zu (line %zu): output ends early, expected '%s'",
			    n, e.line, excerpt(et, el, eb, sizeof(eb)));
			return 0;
		}
		if (!he) {
			say(msg, msg_size, "token %zu (line %zu): extra output '%s'", n, g.line,
			    excerpt(gt, gl, gb, sizeof(gb)));
			return 0;
		}
		double want, have;
		if (numeric && parse_number(et, el, &want)) {
			if (parse_number(gt, gl, &have) &&
			    numbers_close(want, have, abs_tol, rel_tol))
				continue;
		} else if (el == gl && memcmp(et, gt, el) == 0)
			continue;
		say(msg, msg_size, "token %zu (line %zu): expected '%s', got '%s'", n, g.line,
		    excerpt(et, el, eb, sizeof(eb)), excerpt(gt, gl, gb, sizeof(gb)));
		return 0;
	}
}

int
checker_tokens(const char *expected, size_t expected_len, const char *got, size_t got_len,
	       char *msg, size_t msg_size)
{
	return compare_tokens(expected, expected_len, got, got_len, false, 0, 0, msg, msg_size);
}

int
checker_float(const char *expected, size_t expected_len, const char *got, size_t got_len,
	      double abs_tol, double rel_tol, char *msg, size_t msg_size)
{
	if (!isfinite(abs_tol) || !isfinite(rel_tol) || abs_tol < 0 || rel_tol < 0)
		return -EINVAL;
	return compare_tokens(expected, expected_len, got, got_len, true, abs_tol, rel_tol, msg,
			      msg_size);
}
