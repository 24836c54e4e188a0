/* SPDX-License-Identifier: MIT */
/* libFuzzer target for sandbox/request.c: arbitrary bytes as a run request (what a pool worker
 * reads from a client and a sandbox's init from its supervisor). Unpacking must refuse or
 * return a request whose every string lies inside the buffer and is terminated; an accepted
 * request must pack back to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "policy.h"
#include "run.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                            \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "fuzz-request: invariant failed: %s (line %d)\n", #cond, \
				__LINE__);                                                       \
			abort();                                                                 \
		}                                                                                \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (util_write_all(fd, data, size) < 0) {
		close(fd);
		return 0;
	}
	struct run_request *q = NULL;
	int r = run_request_unpack(fd, &q);
	close(fd);
	if (r < 0) {
		REQUIRE(q == NULL);
		return 0;
	}
	const struct run_config *c = run_request_config(q);
	REQUIRE(c->argv && c->argv[0] && c->bpf && c->bpf->len > 0);
	size_t total = 0;
	for (char *const *a = c->argv; *a; a++)
		total += strlen(*a) + 1;
	for (char *const *e = c->envp; e && *e; e++)
		total += strlen(*e) + 1;
	if (c->cwd)
		total += strlen(c->cwd) + 1;
	REQUIRE(total <= size);

	/* Round trip: the same request packs to the same bytes. */
	int fd2 = -1;
	REQUIRE(run_request_pack(c, c->bpf, &fd2) == 0);
	uint8_t *back = malloc(size + 1);
	REQUIRE(back);
	ssize_t n = pread(fd2, back, size + 1, 0);
	REQUIRE(n == (ssize_t)size);
	REQUIRE(memcmp(back, data, size) == 0);
	free(back);
	close(fd2);
	run_request_free(q);
	return 0;
}
