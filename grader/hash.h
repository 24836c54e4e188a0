/* SPDX-License-Identifier: MIT */
/* SHA-256 with nettle (a well-kept library beats a hand-written digest). */
#pragma once

#include <stddef.h>

/* Hex digest of @len bytes at @data into @ret (65 bytes, NUL-terminated). */
void hash_sha256_hex(const void *data, size_t len, char ret[65]);

/* Hex digest of everything readable from @fd (borrowed, read from its current offset).
 * Returns 0 or -errno. */
int hash_sha256_fd(int fd, char ret[65]);
