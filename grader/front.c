/* SPDX-License-Identifier: MIT */
/* `gradebox`: the front door, built against musl where musl-gcc is installed (statically, with
 * nothing to load or relocate at start).
 *
 * Why a binary of its own: with a warm pool (`gradebox pool`), a sandboxed run of /bin/true
 * costs two process starts, this one and the program's, plus a few hand-overs. On this kind of
 * machine every page fault and every `cpuid` traps to the hypervisor (about 25 us and 7 us):
 * glibc's static start-up alone costs 26 faults and its CPU-feature probing, about 1.4 ms of
 * CPU, where musl's costs 5 faults and 0.2 ms (docs/performance.md). So this binary does only
 * what a warm run needs: parse the options (grader/run_cli.c, shared with the runner), read
 * the compiled filter from the cache, send the request to the pool, report the result.
 *
 * Everything else is the full runner, `gradebox-run` (glibc, libseccomp, jansson), exec'ed
 * with the same arguments: a cold or repeated run, an image, layers or a workdir, a policy not
 * compiled yet, no pool listening or a pool of another shape (then with --cold added, so that
 * it does not ask the pool again), and `gradebox pool`. For --result the pool itself writes
 * the JSON into the file this binary opened. Other subcommands go straight to
 * `gradebox-grader`. All three binaries live in one directory. */
#include "bpf_cache.h"
#include "cli.h"
#include "log.h"
#include "pool.h"
#include "run_cli.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* Execs sibling @name with our arguments; with @cold, "--cold" goes right after "run" (options
 * stop at the first non-option, so it is read as one of them). Returns only on failure. Not
 * inlined: its 8 KiB of paths would widen front_run()'s frame, and with stack-clash probes a
 * warm run, which never gets here, would touch two more stack pages (faults) on entry. */
static __attribute__((noinline)) int
exec_sibling(const char *name, char **argv, bool cold)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	static char *args[4096], cold_opt[] = "--cold";

	int r = util_self_dir(dir, sizeof(dir));
	if (r < 0)
		return log_error_errno(r, "cannot find my own binary: %m"), 2;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cold) {
		size_t n = 0, i = 0;
		args[n++] = argv[i++];
		args[n++] = argv[i++];
		args[n++] = cold_opt;
		while (argv[i] && n < ELEMENTSOF(args) - 1)
			args[n++] = argv[i++];
		if (argv[i])
			return log_error("run: too many arguments"), 2;
		args[n] = NULL;
		argv = args;
	}
	execv(path, argv);
	int e = errno; /* for the caller, past the logging */
	log_error("cannot run %s: %m", path);
	errno = e;
	return 2;
}

/* The filter for @policy_arg as the runner compiled it: entries are keyed by the runner's
 * identity. The paths live in this frame: called after the options were parsed, whose
 * realpath() calls went deeper, it reuses stack pages already there (a static buffer would be
 * a fresh page, a fault, each). */
static __attribute__((noinline)) int
cached_filter(const char *policy_arg, struct policy_bpf *ret)
{
	char runner[PATH_MAX + 32], pdir[PATH_MAX], key[17];

	/* One look at /proc/self/exe for both: the policies and the runner are found next to
	 * this binary. */
	int r = util_self_dir(runner, sizeof(runner) - 32);
	if (r < 0)
		return r;
	cli_policy_dir(runner, pdir, sizeof(pdir));
	strcat(runner, "/gradebox-run");
	r = bpf_cache_key(policy_arg, pdir, runner, key);
	return r < 0 ? r : bpf_cache_read(key, ret);
}

/* An internal failure after the --result file was opened (exit 2): the file gets an XX result
 * saying why, in the runner's shape (run_result_json()), rather than nothing; @pool says
 * whether the pool had taken the run. Written by hand, as this binary has
 * no JSON library: @what and strerror()'s text are plain ASCII, and any byte that would need
 * escaping becomes '?'. Not inlined, like exec_sibling(): warm runs never get here. */
static __attribute__((noinline)) void
fail_result(const struct run_cli *cli, bool pool, const char *what, int error)
{
	char msg[256];

	if (cli->result_fd < 0)
		return;
	snprintf(msg, sizeof(msg), "%s%s%s", what, error ? ": " : "",
		 error ? strerror(-error) : "");
	for (char *m = msg; *m; m++)
		if (*m == '"' || *m == '\\' || (unsigned char)*m < 0x20 || (unsigned char)*m > 0x7e)
			*m = '?';
	dprintf(cli->result_fd,
		"{\n  \"cpu_time_ms\": 0,\n  \"denied_syscall\": null,\n  \"exit_code\": null,\n"
		"  \"host_uid_base\": 0,\n  \"memory_peak_kb\": 0,\n  \"message\": \"%s\",\n"
		"  \"output_bytes\": 0,\n  \"output_truncated\": false,\n  \"pool\": %s,\n"
		"  \"signal\": null,\n  \"status\": \"XX\",\n  \"wall_time_ms\": 0\n}",
		msg, pool ? "true" : "false");
}

static int
front_run(char **argv)
{
	/* Static: 72 KiB of paths, touched only where used. */
	static struct run_cli cli;
	struct policy_bpf bpf = {0};
	int argc = 0, r;

	while (argv[argc])
		argc++;
	if (run_cli_parse(argc - 1, argv + 1, &cli) < 0)
		return 2;
	if (cli.help) {
		run_cli_usage(stdout);
		return 0;
	}
	const struct run_config *c = &cli.c;
	if (cli.cold || cli.repeat != 1 || c->image || c->layers || c->workdir)
		return exec_sibling("gradebox-run", argv, false);

	if (cached_filter(cli.policy_arg, &bpf) < 0)
		return exec_sibling("gradebox-run", argv, false); /* it compiles, or says why not */
	cli.c.bpf = &bpf;

	/* Connected before the streams are opened: without a pool, the runner opens them. */
	_cleanup_close_ int fd = -1;
	r = pool_connect(NULL, &fd);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return exec_sibling("gradebox-run", argv, true);
	if (r < 0)
		return log_error_errno(r, "run: cannot reach the warm pool: %m"), 2;
	if (run_cli_open_streams(&cli) < 0)
		return 2;
	/* The pool writes the JSON (this binary has no JSON library) into the --result file
	 * opened above, with our rights. */
	struct run_result res;
	int result_err = 0;
	r = pool_run_on(fd, c, cli.result_fd, &res, &result_err);
	if (r == 0) {
		if (!cli.quiet)
			run_cli_report(&res);
		if (cli.timing)
			run_cli_print_timing(&res, true);
		if (result_err < 0)
			return log_error_errno(result_err, "--result: cannot write '%s': %m",
					       cli.result_path),
			       2;
		return run_cli_exit_code(&res);
	}
	if (r == 1 || r == -EXDEV) {
		if (r == 1 && res.message[0] && !cli.quiet)
			log_notice("run: the warm pool refused (%s); building a sandbox",
				   res.message);
		/* Nothing ran. The runner gets the stream files as opened here, not their paths:
		 * a named FIFO whose writer already left would be empty on a second open. */
		r = run_cli_pass_streams(&cli);
		if (r < 0) {
			fail_result(&cli, false, "cannot hand the streams over to gradebox-run", r);
			return log_error_errno(r, "run: cannot hand the streams over: %m"), 2;
		}
		errno = 0;
		r = exec_sibling("gradebox-run", argv, true);
		fail_result(&cli, false, "cannot run gradebox-run", -errno);
		return r;
	}
	/* The program may have started: running it again could do things twice. */
	fail_result(&cli, true, "the warm pool failed during the run", r);
	return log_error_errno(r, "run: the warm pool failed during the run: %m"), 2;
}

int
main(int argc, char **argv)
{
	log_set_ident("gradebox");
	/* Only this process hands streams to the runner; none come from our own caller. */
	(void)unsetenv(RUN_CLI_STREAMS_ENV);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return front_run(argv);
	if (argc >= 2 && strcmp(argv[1], "pool") == 0)
		return exec_sibling("gradebox-run", argv, false);
	return exec_sibling("gradebox-grader", argv, false);
}
