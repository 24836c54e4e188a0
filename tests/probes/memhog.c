/* SPDX-License-Identifier: MIT */
/* memhog MB: maps and touches MB mebibytes, one at a time, printing progress every 16 MiB.
 * Ends with "RESULT done memhog mb=N" (the limit did not stop it), or "RESULT blocked memhog
 * errno=ENOMEM at_mb=N" if an allocation failed; an OOM kill prints nothing more. Bounded by
 * its argument. Refuses to run as host root. */
#include "probe.h"

#include <sys/mman.h>

#define MIB (1UL << 20)

int
main(int argc, char **argv)
{
	unsigned long mb, i;
	long page = sysconf(_SC_PAGESIZE);

	probe_init();
	if (argc != 2 || (mb = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: %s MB\n", argv[0]);
		return PROBE_EXIT_USAGE;
	}
	probe_refuse_root("memhog");
	probe_try("memhog");
	for (i = 0; i < mb; i++) {
		char *p =
			mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("RESULT blocked memhog errno=%s at_mb=%lu\n", probe_errname(errno),
			       i);
			return 0;
		}
		/* Touch every page with a non-zero byte: no zero-page or KSM sharing. */
		for (unsigned long off = 0; off < MIB; off += (unsigned long)page)
			p[off] = (char)(i + 1);
		if ((i + 1) % 16 == 0)
			printf("allocated_mb=%lu\n", i + 1);
	}
	printf("RESULT done memhog mb=%lu\n", mb);
	return 0;
}
