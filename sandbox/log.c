/* SPDX-License-Identifier: MIT */
/* Minimal stderr logger; sandbox/ code only logs at debug level, grader/ decides the rest. */
#include "log.h"

#include <stdarg.h>
#include <string.h>

enum log_level log_max_level = LOG_LEVEL_NOTICE;
static const char *log_ident = "gradebox";

void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

int
log_internal(enum log_level level, int r, const char *fmt, ...)
{
	va_list ap;
	char buf[2048];

	if (level > log_max_level)
		return r;
	if (r < 0)
		errno = -r;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line so concurrent writers do not interleave inside a line. */
	fprintf(stderr, "%s: %s\n", log_ident, buf);
	return r;
}

const char *
log_escape(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return "";
	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			buf[o++] = (char)c;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		}
	}
	buf[o] = 0;
	return buf;
}
