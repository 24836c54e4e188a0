/* SPDX-License-Identifier: MIT */
/* Content addressing for blobs and evidence archives. */
#include "hash.h"

#include "util.h"

#include <nettle/sha2.h>
#include <stdio.h>

static void
to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char ret[65])
{
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(ret + 2 * i, 3, "%02x", digest[i]);
}

void
hash_sha256_hex(const void *data, size_t len, char ret[65])
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, sizeof(digest), digest);
	to_hex(digest, ret);
}

int
hash_sha256_fd(int fd, char ret[65])
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE], buf[65536];

	sha256_init(&ctx);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sha256_update(&ctx, (size_t)n, buf);
	}
	sha256_digest(&ctx, sizeof(digest), digest);
	to_hex(digest, ret);
	return 0;
}
