/* SPDX-License-Identifier: MIT */
/* Namespaces: per-sandbox slots (which give each concurrent sandbox its own host uid range),
 * uid/gid maps, locking a user namespace down, the loopback interface. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Host uids NS_UID_BASE + slot * NS_UID_RANGE ... + NS_UID_RANGE - 1 belong to slot @slot.
 * They are above any uid a Debian system hands out (useradd stops at 60000; systemd's
 * dynamic users and container ranges sit below 2^20 by default). */
#define NS_UID_BASE  (1u << 20)
#define NS_UID_RANGE 65536u
#define NS_MAX_SLOTS 1024
/* The sandbox user inside (owns /box); root inside is only used during setup. */
#define NS_BOX_UID 1000u

/* Takes the first free slot: an exclusive open-file-description lock on
 * @state_dir/slots/<N>.lock, released when *ret_lockfd is closed or the process dies, so a
 * killed supervisor never leaks its slot. Returns 0 or -errno (-EAGAIN: all slots busy). */
int ns_slot_acquire(const char *state_dir, unsigned *ret_slot, int *ret_lockfd);

/* True if slot @slot is not held by any live process (used for stale cleanup). */
int ns_slot_is_free(const char *state_dir, unsigned slot);

static inline uid_t
ns_host_uid(unsigned slot, uid_t inside)
{
	return (uid_t)(NS_UID_BASE + slot * NS_UID_RANGE + inside);
}

/* Writes setgroups=deny and a uid and gid map of NS_UID_RANGE ids starting at the slot's base
 * for @pid (which has just unshared its user namespace). Returns 0 or -errno. */
int ns_write_id_maps(pid_t pid, unsigned slot);

/* In a fresh user namespace, as its root: sets every /proc/sys/user/max_*_namespaces to 0 so
 * nothing inside can create a namespace of any kind (KERNEL-NOTES trap 5; seccomp denies the
 * calls too). Returns 0 or -errno. */
int ns_lock_down(void);

/* Brings up "lo" in the current network namespace. Returns 0 or -errno. */
int ns_loopback_up(void);
