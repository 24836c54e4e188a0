/* SPDX-License-Identifier: MIT */
/* persist-daemon: daemonises to outlive the graded run: double fork, stdio to /dev/null,
 * SIGHUP/SIGTERM ignored, then re-executes itself as /box/gbx-persist-daemon (so the host sees
 * the name "gbx-persist-dae") sleeping for 60 s. setsid() is left out on purpose: run.policy
 * denies it, and this attempt is about the pid namespace, not seccomp. The program itself
 * can only print BLOCKED; whether the daemon survived is checked from the host by
 * run-corpus.sh and tests/integration/30-escapes.sh (no process named gbx-persist-dae* and
 * none in a sandbox uid range after the run). Expected: the sandbox's init exits with the
 * program, and the kernel kills its whole pid namespace. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
copy_self(const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		return;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		(void)write(out, buf, (size_t)n);
	close(in);
	close(out);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "daemon") == 0) {
		struct timespec ts = {.tv_sec = 1};
		for (int i = 0; i < 60; i++)
			(void)nanosleep(&ts, NULL);
		return 0;
	}
	copy_self("/box/gbx-persist-daemon");
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		if (fork() != 0)
			_exit(0); /* the grandchild is orphaned, as a daemon is */
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		char *args[] = {"/box/gbx-persist-daemon", "daemon", NULL};
		execv(args[0], args);
		/* The copy could not be run: keep going under our own name. */
		char *self[] = {argv[0], "daemon", NULL};
		execv("/proc/self/exe", self);
		_exit(1);
	}
	if (child > 0)
		(void)waitpid(child, NULL, 0);
	/* Give the daemon time to exec under its new name before the run ends. */
	struct timespec ts = {.tv_nsec = 300 * 1000 * 1000};
	(void)nanosleep(&ts, NULL);
	puts("BLOCKED");
	return 0;
}
