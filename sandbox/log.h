/* SPDX-License-Identifier: MIT */
/* One line per event on stderr. The _errno forms set errno = -r so "%m" works and return r. */
#pragma once

#include "util.h"

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* The only mutable global besides the tests': the threshold, set once from the command line. */
extern enum log_level log_max_level;

/* Sets the program name printed before each message ("gradebox"). Borrowed, must outlive use. */
void log_set_ident(const char *ident);

int log_internal(enum log_level level, int r, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...)	 ((void)log_internal(LOG_LEVEL_DEBUG, 0, __VA_ARGS__))
#define log_info(...)	 ((void)log_internal(LOG_LEVEL_INFO, 0, __VA_ARGS__))
#define log_notice(...)	 ((void)log_internal(LOG_LEVEL_NOTICE, 0, __VA_ARGS__))
#define log_warning(...) ((void)log_internal(LOG_LEVEL_WARNING, 0, __VA_ARGS__))
#define log_error(...)	 ((void)log_internal(LOG_LEVEL_ERROR, 0, __VA_ARGS__))

#define log_debug_errno(r, ...)	  log_internal(LOG_LEVEL_DEBUG, (r), __VA_ARGS__)
#define log_info_errno(r, ...)	  log_internal(LOG_LEVEL_INFO, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_internal(LOG_LEVEL_WARNING, (r), __VA_ARGS__)
#define log_error_errno(r, ...)	  log_internal(LOG_LEVEL_ERROR, (r), __VA_ARGS__)

/* Escapes student-controlled text for a log line: non-printable bytes become \xNN, the result
 * is cut at @max bytes. Writes into @buf (size @size) and returns it. */
const char *log_escape(const char *s, size_t len, char *buf, size_t size);
