/* SPDX-License-Identifier: MIT */
/* Output checkers: pure comparisons of a test's expected output with what the program printed.
 * No I/O, no allocation beyond the stack, safe on arbitrary bytes (NULs included). */
#pragma once

#include <stddef.h>

/* Each checker returns 1 if @got is accepted, 0 if not (then @msg says where, e.g.
 * "line 3: expected '42', got '41'"), or -EINVAL for bad arguments. Student output quoted in
 * @msg is escaped (non-printable bytes as \xNN) and cut short. @msg (size @msg_size) may be NULL;
 * it is always NUL-terminated when given. */

/* Byte-for-byte equality. */
int checker_exact(const char *expected, size_t expected_len, const char *got, size_t got_len,
		  char *msg, size_t msg_size);

/* Equality of the whitespace-separated token sequences: any run of space, tab, newline, CR,
 * vertical tab or form feed separates tokens, and leading/trailing whitespace is ignored. */
int checker_tokens(const char *expected, size_t expected_len, const char *got, size_t got_len,
		   char *msg, size_t msg_size);

/* Like checker_tokens(), but where the expected token is a decimal number (optional sign,
 * digits, optional fraction and exponent; also "inf"/"nan"), the got token must be one too and
 * |got - expected| <= @abs_tol or |got - expected| <= @rel_tol * |expected|. Hex floats and
 * other strtod() extensions in @got are not numbers here, so "0x10" never equals "16".
 * Tolerances must be finite and >= 0. */
int checker_float(const char *expected, size_t expected_len, const char *got, size_t got_len,
		  double abs_tol, double rel_tol, char *msg, size_t msg_size);
