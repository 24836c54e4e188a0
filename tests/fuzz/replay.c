/* SPDX-License-Identifier: MIT */
/* Replays a fuzz target's corpus without libFuzzer, as a TAP test for prove: one line per file
 * in tests/fuzz/corpus/$FUZZ_NAME/ (under $GRADEBOX_SRC, else the current directory). A crash
 * or failed invariant aborts the whole run, which prove reports with the file last printed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_NAME
#error "FUZZ_NAME must be defined by the Makefile (-DFUZZ_NAME='\"fuzz-x\"')"
#endif

#define REPLAY_MAX_INPUT (4 << 20) /* corpus files are small; anything bigger is a mistake */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
read_input(int dfd, const char *name, uint8_t **ret, size_t *ret_size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > REPLAY_MAX_INPUT) {
		close(fd);
		return -EINVAL;
	}
	/* One extra byte so that a zero-size input still gets a valid, distinct pointer. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*ret = buf;
	*ret_size = done;
	return 0;
}

int
main(void)
{
	const char *src = getenv("GRADEBOX_SRC");
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0;
	int failed = 0, dfd;
	DIR *d;
	struct dirent *de;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/%s", src && *src ? src : ".", FUZZ_NAME);
	d = opendir(path);
	if (!d) {
		/* No corpus is a broken checkout, not a pass. */
		printf("1..1\nnot ok 1 - %s: cannot open %s: %s\n", FUZZ_NAME, path,
		       strerror(errno));
		return 1;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				return 1;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			return 1;
		n++;
	}
	if (n == 0) {
		printf("1..0 # SKIP %s: empty corpus %s\n", FUZZ_NAME, path);
		closedir(d);
		return 0;
	}
	qsort(names, n, sizeof(*names), cmp);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		uint8_t *buf = NULL;
		size_t size = 0;
		int r = read_input(dfd, names[i], &buf, &size);

		if (r < 0) {
			printf("not ok %zu - %s: %s\n", i + 1, names[i], strerror(-r));
			failed++;
			continue;
		}
		/* Announce first: if the target crashes, the last line names the input. */
		printf("# %s (%zu bytes)\n", names[i], size);
		(void)LLVMFuzzerTestOneInput(buf, size);
		printf("ok %zu - %s\n", i + 1, names[i]);
		free(buf);
		free(names[i]);
	}
	free(names);
	closedir(d);
	return failed ? 1 : 0;
}
