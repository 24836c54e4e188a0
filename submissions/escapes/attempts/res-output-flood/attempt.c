/* SPDX-License-Identifier: MIT */
/* res-output-flood: writes 4 KiB lines to stdout and stderr forever (fills the grader's disk
 * or memory). Expected: the output limit (64K per stream) kills it: OLE. */
#include <string.h>
#include <unistd.h>

int
main(void)
{
	char line[4096];
	memset(line, 'y', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (;;) {
		(void)write(1, line, sizeof(line));
		(void)write(2, line, sizeof(line));
	}
}
