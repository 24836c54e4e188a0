/* SPDX-License-Identifier: MIT */
/* fs-sys-write: the cgroup v1 release_agent escape (CVE-2022-0492) and sysfs knobs:
 * uevent_helper, a cgroup's release_agent / notify_on_release / cgroup.procs, the host
 * disk's queue settings. Expected: the sandbox has no /sys at all: ENOENT. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	static const char *const knobs[] = {
		"/sys/kernel/uevent_helper", "/sys/fs/cgroup/memory/release_agent",
		"/sys/fs/cgroup/memory/notify_on_release", "/sys/fs/cgroup/pids/cgroup.procs",
		"/sys/fs/cgroup/memory/gradebox/cgroup.procs", "/sys/block/vda/queue/scheduler",
		"/sys/power/state", NULL,
	};
	for (int i = 0; knobs[i]; i++) {
		int fd = open(knobs[i], O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			printf("ESCAPED opened %s for writing\n", knobs[i]);
			return 0;
		}
	}
	if (access("/sys/kernel", F_OK) == 0) {
		puts("ESCAPED /sys is mounted");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
