/* SPDX-License-Identifier: MIT */
/* daemon [PATH [DELAY_MS [TAG]]]: double-forks a grandchild that outlives this process: after
 * DELAY_MS (default 1000) it writes PATH (default /box/daemon-marker), then rewrites it every
 * 200 ms, 100 times (about 20 s). It keeps the inherited stdout/stderr open on purpose, so a
 * supervisor that waits for EOF on the output pipes instead of killing the sandbox hangs.
 * TAG only marks the command line, which the grandchild shares, for `pgrep -f TAG` on the
 * host. The parent prints "RESULT info daemon pid=N" and exits 0 at once. Bounded (about
 * 21 s). Uses only syscalls of policies/run.policy (no setsid, prctl or alarm). Refuses to
 * run as host root. */
#include "probe.h"

#include <fcntl.h>
#include <sys/wait.h>

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/box/daemon-marker";
	double delay = argc > 2 ? atof(argv[2]) : 1000;
	pid_t child, gc = -1;
	int pfd[2];

	probe_init();
	probe_refuse_root("daemon");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return PROBE_EXIT_ERROR;
	child = fork();
	if (child < 0)
		return PROBE_EXIT_ERROR;
	if (child == 0) {
		gc = fork();
		if (gc != 0) {
			/* Tells the parent the grandchild's pid, then leaves it orphaned. */
			(void)!write(pfd[1], &gc, sizeof(gc));
			_exit(gc < 0 ? 1 : 0);
		}
		probe_sleep_ms(delay);
		for (int i = 0; i < 100; i++) {
			char text[64];
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd >= 0) {
				int len = snprintf(text, sizeof(text), "alive %d\n", i);
				(void)!write(fd, text, (size_t)len);
				close(fd);
			}
			probe_sleep_ms(200);
		}
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &gc, sizeof(gc)) != sizeof(gc))
		gc = -1;
	(void)waitpid(child, NULL, 0);
	printf("RESULT info daemon pid=%d marker=%s delay_ms=%g\n", (int)gc, path, delay);
	return 0;
}
