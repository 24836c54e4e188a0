/* SPDX-License-Identifier: MIT */
/* Capability drop with libcap. The order matters: the bounding set and securebits need
 * CAP_SETPCAP, so they go first; setresuid() then clears permitted and effective; capset()
 * clears the inheritable set, which setresuid() leaves alone. */
#include "caps.h"

#include "util.h"

#include <grp.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int
caps_drop_all(uid_t uid, gid_t gid)
{
	/* KERNEL-NOTES trap 15: executing as uid 0 without an empty bounding set regains every
	 * capability in the namespace. */
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	/* NOROOT: uid 0 gets no capabilities on exec; NO_SETUID_FIXUP off so setresuid() below
	 * does clear the sets; all locked so the program cannot undo them. */
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
			  SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
			  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
		  0, 0, 0) < 0)
		return -errno;
	/* KERNEL-NOTES trap 2: drop supplementary groups explicitly (setgroups is allowed here
	 * only before setgroups=deny applies; the caller dropped them before entering the user
	 * namespace, this is the second line). */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return -errno;
	if (setresgid(gid, gid, gid) < 0)
		return -errno;
	if (setresuid(uid, uid, uid) < 0)
		return -errno;

	cap_t caps = cap_init(); /* all three sets empty */
	if (!caps)
		return -errno;
	int r = cap_set_proc(caps);
	int saved = errno;
	cap_free(caps);
	if (r < 0)
		return -saved;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
