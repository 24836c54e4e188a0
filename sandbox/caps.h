/* SPDX-License-Identifier: MIT */
/* Dropping privileges for good: bounding and ambient sets, securebits, uid/gid, the remaining
 * capability sets and no_new_privs. */
#pragma once

#include <sys/types.h>

/* Must run as uid 0 with CAP_SETPCAP in the sandbox's user namespace. Empties the bounding
 * and ambient sets, locks the securebits so uid 0 never regains capabilities, switches to
 * @uid/@gid (namespace ids) with no supplementary groups, clears the effective, permitted and
 * inheritable sets, and sets no_new_privs. Returns 0 or -errno. */
int caps_drop_all(uid_t uid, gid_t gid);
