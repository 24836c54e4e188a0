/* SPDX-License-Identifier: MIT */
/* Slots, id maps and namespace limits. */
#include "ns.h"

#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int
slot_lock(const char *state_dir, unsigned slot, bool keep, int *ret_fd)
{
	char path[PATH_MAX];
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	snprintf(path, sizeof(path), "%s/slots/%u.lock", state_dir, slot);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* OFD locks belong to the open file description: a forked child does not inherit the
	 * right to release them, and they vanish only when every copy of the fd is closed. */
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return errno == EAGAIN || errno == EACCES ? -EAGAIN : -errno;
	if (keep)
		*ret_fd = TAKE_FD(fd);
	return 0;
}

int
ns_slot_acquire(const char *state_dir, unsigned *ret_slot, int *ret_lockfd)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/slots", state_dir);
	r = util_mkdir_p(path, 0700);
	if (r < 0)
		return r;
	for (unsigned s = 0; s < NS_MAX_SLOTS; s++) {
		r = slot_lock(state_dir, s, true, ret_lockfd);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return r;
		*ret_slot = s;
		return 0;
	}
	return -EAGAIN;
}

int
ns_slot_is_free(const char *state_dir, unsigned slot)
{
	int r = slot_lock(state_dir, slot, false, NULL);
	if (r == -EAGAIN)
		return 0;
	return r < 0 ? r : 1;
}

int
ns_write_id_maps(pid_t pid, unsigned slot)
{
	char path[64], map[64];
	int r;

	/* setgroups=deny first (CVE-2014-8989): even if the program regained root in its
	 * namespace it could not drop a group to escape a "deny by group" permission. */
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	r = util_write_file(path, "deny");
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "0 %u %u\n", (unsigned)ns_host_uid(slot, 0), NS_UID_RANGE);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	r = util_write_file(path, map);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return util_write_file(path, map);
}

int
ns_lock_down(void)
{
	static const char *const knobs[] = {"user", "mnt", "pid",    "net",
					    "ipc",  "uts", "cgroup", "time"};
	for (size_t i = 0; i < ELEMENTSOF(knobs); i++) {
		char path[96];
		snprintf(path, sizeof(path), "/proc/sys/user/max_%s_namespaces", knobs[i]);
		int r = util_write_file(path, "0");
		if (r == -ENOENT)
			continue; /* an older kernel without this namespace type */
		if (r < 0)
			return r;
	}
	return 0;
}

int
ns_loopback_up(void)
{
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}
