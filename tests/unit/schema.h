/* SPDX-License-Identifier: MIT */
/* Where the unit tests of the database find the migrations: $GRADEBOX_SCHEMA_DIR, else
 * schema/ under $GRADEBOX_SRC, else schema/ of the current directory (`make test` runs from
 * the top of the tree). */
#pragma once

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *
test_schema_dir(void)
{
	static char buf[PATH_MAX];
	const char *e = getenv("GRADEBOX_SCHEMA_DIR"), *src = getenv("GRADEBOX_SRC");

	if (e && *e)
		return e;
	if (src && *src) {
		snprintf(buf, sizeof(buf), "%s/schema", src);
		return buf;
	}
	return "schema";
}
