/* SPDX-License-Identifier: MIT */
/* flood BYTES: writes exactly BYTES bytes of 'x' (BYTES may be 10M, 64K, ...) to stdout and
 * nothing else; the summary "RESULT done flood bytes=N" goes to stderr. Exits 1 on a write
 * error (e.g. EPIPE once the sandbox cut the stream). Harmless. */
#include "probe.h"

#include <signal.h>

int
main(int argc, char **argv)
{
	static char buf[65536];
	uint64_t total, done = 0;

	probe_init();
	if (argc != 2 || !probe_parse_size(argv[1], &total)) {
		fprintf(stderr, "usage: %s BYTES\n", argv[0]);
		return PROBE_EXIT_USAGE;
	}
	memset(buf, 'x', sizeof(buf));
	while (done < total) {
		size_t chunk = total - done < sizeof(buf) ? (size_t)(total - done) : sizeof(buf);
		ssize_t n = write(STDOUT_FILENO, buf, chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "RESULT blocked flood errno=%s bytes=%llu\n",
				probe_errname(errno), (unsigned long long)done);
			return PROBE_EXIT_ERROR;
		}
		done += (uint64_t)n;
	}
	fprintf(stderr, "RESULT done flood bytes=%llu\n", (unsigned long long)done);
	return 0;
}
