/* SPDX-License-Identifier: MIT */
/* grader/checker.c: exact, token and float comparison over buffers, including NUL bytes and
 * the messages shown to students. */
#include "checker.h"
#include "tap.h"

#include <errno.h>
#include <math.h>

#define S(x) x, sizeof(x) - 1

static int
t_exact(void)
{
	char msg[256];

	CHECK_EQ_INT(checker_exact(S("1 2\n"), S("1 2\n"), msg, sizeof(msg)), 1);
	CHECK_STREQ(msg, "");
	CHECK_EQ_INT(checker_exact(S(""), S(""), msg, sizeof(msg)), 1);
	CHECK_EQ_INT(checker_exact(NULL, 0, NULL, 0, msg, sizeof(msg)), 1);
	CHECK_EQ_INT(checker_exact(S("1 2\n"), S("1 2"), msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "line 1: output ends early, expected '\\x0a'");
	CHECK_EQ_INT(checker_exact(S("a\nb\n"), S("a\nb\nc"), msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "line 3: extra output 'c'");
	CHECK_EQ_INT(checker_exact(S("a\nhello\n"), S("a\nhelp\n"), msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "line 2 column 4: expected 'lo\\x0a', got 'p\\x0a'");
	/* NUL bytes are data, not terminators. */
	CHECK_EQ_INT(checker_exact(S("a\0b"), S("a\0c"), NULL, 0), 0);
	CHECK_EQ_INT(checker_exact(S("a\0b"), S("a\0b"), NULL, 0), 1);
	CHECK_EQ_INT(checker_exact(NULL, 3, S("x"), msg, sizeof(msg)), -EINVAL);
	return 0;
}

static int
t_tokens(void)
{
	char msg[256];

	CHECK_EQ_INT(checker_tokens(S("1 2 3\n"), S("  1\t2\r\n3  \n\n"), msg, sizeof(msg)), 1);
	CHECK_EQ_INT(checker_tokens(S(""), S(" \n\t"), msg, sizeof(msg)), 1);
	CHECK_EQ_INT(checker_tokens(S("1 2 3"), S("1 2"), msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "token 3 (line 1): output ends early, expected '3'");
	CHECK_EQ_INT(checker_tokens(S("1 2"), S("1\n2\n3"), msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "token 3 (line 3): extra output '3'");
	CHECK_EQ_INT(checker_tokens(S("yes\nno"), S("yes\nNo"), msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "token 2 (line 2): expected 'no', got 'No'");
	/* Tokens are compared as strings: 1.0 is not 1. */
	CHECK_EQ_INT(checker_tokens(S("1"), S("1.0"), NULL, 0), 0);
	/* Student output quoted back is escaped and cut. */
	char big[200];
	memset(big, 'x', sizeof(big));
	big[3] = '\'';
	CHECK_EQ_INT(checker_tokens(S("a"), big, sizeof(big), msg, sizeof(msg)), 0);
	CHECK(strstr(msg, "\\x27"));
	CHECK(strlen(msg) < 150);
	return 0;
}

static int
t_float(void)
{
	char msg[256];

	CHECK_EQ_INT(checker_float(S("3.14159 2"), S("3.1416 2"), 1e-4, 0, msg, sizeof(msg)), 1);
	CHECK_EQ_INT(checker_float(S("3.14159"), S("3.15"), 1e-4, 0, msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "token 1 (line 1): expected '3.14159', got '3.15'");
	/* Relative tolerance scales with the expected value. */
	CHECK_EQ_INT(checker_float(S("1000000"), S("1000001"), 0, 1e-6, NULL, 0), 1);
	CHECK_EQ_INT(checker_float(S("1000000"), S("1000010"), 0, 1e-6, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("1e6"), S("1000000.0"), 0, 0, NULL, 0), 1);
	CHECK_EQ_INT(checker_float(S("-0.5"), S("-5e-1"), 0, 0, NULL, 0), 1);
	/* Words still compare exactly; a number expected needs a number. */
	CHECK_EQ_INT(checker_float(S("area 2.0"), S("area 2"), 1e-9, 1e-9, NULL, 0), 1);
	CHECK_EQ_INT(checker_float(S("area 2.0"), S("Area 2"), 1e-9, 1e-9, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("2.0"), S("two"), 1, 1, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("16"), S("0x10"), 0.5, 0, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("1"), S("1e"), 0.5, 0, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("1"), S("."), 5, 0, NULL, 0), 0);
	/* nan only matches nan; infinities only themselves, whatever the tolerance. */
	CHECK_EQ_INT(checker_float(S("nan"), S("NaN"), 0, 0, NULL, 0), 1);
	CHECK_EQ_INT(checker_float(S("1"), S("nan"), 1e9, 1, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("inf"), S("inf"), 0, 0, NULL, 0), 1);
	CHECK_EQ_INT(checker_float(S("inf"), S("-inf"), 1e9, 1, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("1e308"), S("1e309"), 1e9, 1, NULL, 0), 0);
	CHECK_EQ_INT(checker_float(S("1 2"), S("1"), 0, 0, msg, sizeof(msg)), 0);
	CHECK_STREQ(msg, "token 2 (line 1): output ends early, expected '2'");
	CHECK_EQ_INT(checker_float(S("1"), S("1"), -1, 0, NULL, 0), -EINVAL);
	CHECK_EQ_INT(checker_float(S("1"), S("1"), 0, NAN, NULL, 0), -EINVAL);
	return 0;
}

TAP_MAIN(TAP_TEST(t_exact), TAP_TEST(t_tokens), TAP_TEST(t_float))
