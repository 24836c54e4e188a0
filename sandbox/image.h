/* SPDX-License-Identifier: MIT */
/* The default read-only lower layer: a host-derived base image, so `gradebox run` works with
 * no network and no set-up. It holds the merged-/usr symlinks and a minimal /etc; the host's
 * /usr is bind-mounted read-only on top of it by the sandbox (mount.c). */
#pragma once

#include <stddef.h>

/* Makes sure @state_dir/base-v<N> exists (built once, atomically by rename, shared by all
 * runs) and writes its path into @buf. Returns 0 or -errno. */
int image_ensure_base(const char *state_dir, char *buf, size_t size);
