/* SPDX-License-Identifier: MIT */
/* `gradebox run`'s command line (see run_cli.h). The option names are a contract used by
 * scripts, tests and the grading pipeline. */
#include "run_cli.h"

#include "cli.h"
#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

const char *
cli_policy_dir(const char *self_dir, char *buf, size_t size)
{
	static const char rel[] = "/../policies";
	const char *e = getenv("GRADEBOX_POLICY_DIR");

	if (e && *e) {
		snprintf(buf, size, "%s", e);
		return buf;
	}
	/* In @buf itself, without a PATH_MAX buffer of its own: the front door calls this on
	 * every warm run, and each stack page a frame reaches first costs a fault
	 * (docs/performance.md). */
	int r = -ENAMETOOLONG;
	if (self_dir)
		r = snprintf(buf, size, "%s", self_dir) < (int)(size - sizeof(rel)) ? 0 : r;
	else if (size > sizeof(rel))
		r = util_self_dir(buf, size - sizeof(rel));
	if (r == 0) {
		strcat(buf, rel);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	snprintf(buf, size, "/usr/share/gradebox/policies");
	return buf;
}

void
run_cli_usage(FILE *f)
{
	fputs("usage: gradebox run [OPTIONS] -- PROGRAM [ARGS...]\n"
	      "\n"
	      "  --image DIR           read-only lower layer (default: host-derived base image)\n"
	      "  --layer DIR           extra read-only layer above the image (repeatable, top "
	      "first)\n"
	      "  --workdir DIR         keep the writable layer in DIR/upper (default: tmpfs)\n"
	      "  --chdir DIR           working directory inside (default: /box)\n"
	      "  --bind-ro SRC:DST     read-only bind mount (repeatable)\n"
	      "  --env NAME=VALUE      environment variable (repeatable; default: a minimal env)\n"
	      "  --memory SIZE         memory limit (default 256M)\n"
	      "  --cpu-time SECONDS    CPU time limit, all processes (default 2)\n"
	      "  --wall-time SECONDS   wall clock limit (default 5)\n"
	      "  --pids N              process/thread limit (default 64)\n"
	      "  --output-limit SIZE   per stream, stdout and stderr (default 16M)\n"
	      "  --file-size SIZE      largest file the program may write (default 64M)\n"
	      "  --disk SIZE           size of the tmpfs writable layer and of /tmp (default 64M)\n"
	      "  --open-files N        open file limit (default 64)\n"
	      "  --policy NAME|PATH    seccomp policy (default: run)\n"
	      "  --stdin FILE          standard input (default /dev/null)\n"
	      "  --stdout FILE         standard output (default: inherited)\n"
	      "  --stderr FILE         standard error (default: inherited)\n"
	      "  --result FILE         write the result as JSON\n"
	      "  --quiet               no summary line on stderr\n"
	      "  --timing              print where the time went, step by step\n"
	      "  --cold                build a sandbox for this run even if a warm pool listens\n"
	      "  --repeat N            N runs, each in a fresh sandbox (default 1)\n"
	      "\n"
	      "exit status: 0 the program's status is OK (every run's), 1 any other status, 2\n"
	      "usage or internal error (status XX)\n",
	      f);
}

static int
parse_size_opt(const char *opt, const char *v, uint64_t *ret)
{
	int r = util_parse_size(v, ret);
	if (r < 0 || *ret == 0)
		return log_error_errno(r < 0 ? r : -EINVAL,
				       "%s: invalid size '%s' (expected e.g. 64M, 1G, 4096)", opt,
				       v);
	return 0;
}

static int
parse_count_opt(const char *opt, const char *v, uint64_t *ret)
{
	int r = util_parse_u64(v, ret);
	if (r < 0 || *ret == 0)
		return log_error_errno(r < 0 ? r : -EINVAL, "%s: invalid count '%s'", opt, v);
	return 0;
}

static int
parse_secs_opt(const char *opt, const char *v, uint64_t *ret)
{
	int r = util_parse_seconds_ms(v, ret);
	if (r < 0 || *ret == 0)
		return log_error_errno(r < 0 ? r : -EINVAL,
				       "%s: invalid duration '%s' (seconds, e.g. 0.5)", opt, v);
	return 0;
}

enum {
	OPT_IMAGE = 256,
	OPT_LAYER,
	OPT_WORKDIR,
	OPT_CHDIR,
	OPT_BIND_RO,
	OPT_ENV,
	OPT_MEMORY,
	OPT_CPU,
	OPT_WALL,
	OPT_PIDS,
	OPT_OUTPUT,
	OPT_FSIZE,
	OPT_DISK,
	OPT_NOFILE,
	OPT_POLICY,
	OPT_STDIN,
	OPT_STDOUT,
	OPT_STDERR,
	OPT_RESULT,
	OPT_QUIET,
	OPT_TIMING,
	OPT_COLD,
	OPT_REPEAT,
	OPT_HELP,
};

static int
usage_error(void)
{
	run_cli_usage(stderr);
	return -EINVAL;
}

int
run_cli_parse(int argc, char **argv, struct run_cli *cli)
{
	static const struct option opts[] = {
		{"image", required_argument, NULL, OPT_IMAGE},
		{"layer", required_argument, NULL, OPT_LAYER},
		{"workdir", required_argument, NULL, OPT_WORKDIR},
		{"chdir", required_argument, NULL, OPT_CHDIR},
		{"bind-ro", required_argument, NULL, OPT_BIND_RO},
		{"env", required_argument, NULL, OPT_ENV},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"cpu-time", required_argument, NULL, OPT_CPU},
		{"wall-time", required_argument, NULL, OPT_WALL},
		{"pids", required_argument, NULL, OPT_PIDS},
		{"output-limit", required_argument, NULL, OPT_OUTPUT},
		{"file-size", required_argument, NULL, OPT_FSIZE},
		{"disk", required_argument, NULL, OPT_DISK},
		{"open-files", required_argument, NULL, OPT_NOFILE},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"stdin", required_argument, NULL, OPT_STDIN},
		{"stdout", required_argument, NULL, OPT_STDOUT},
		{"stderr", required_argument, NULL, OPT_STDERR},
		{"result", required_argument, NULL, OPT_RESULT},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"timing", no_argument, NULL, OPT_TIMING},
		{"cold", no_argument, NULL, OPT_COLD},
		{"repeat", required_argument, NULL, OPT_REPEAT},
		{"help", no_argument, NULL, OPT_HELP},
		{},
	};
	struct run_config *c = &cli->c;
	size_t n_layers = 0;
	int o;

	/* Fields one by one: zeroing all of it would touch its 72 KiB of path buffers. */
	run_config_init(c);
	c->binds = cli->binds;
	c->stdout_fd = STDOUT_FILENO;
	c->stderr_fd = STDERR_FILENO;
	cli->n_env = 0;
	cli->layers[0] = NULL;
	cli->policy_arg = "run";
	cli->result_path = cli->stdin_path = cli->stdout_path = cli->stderr_path = NULL;
	cli->in_fd = cli->out_fd = cli->err_fd = cli->result_fd = -1;
	cli->quiet = cli->timing = cli->cold = cli->help = false;
	cli->repeat = 1;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case OPT_IMAGE:
			if (!realpath(optarg, cli->image))
				return log_error_errno(-errno, "--image: '%s': %m", optarg);
			c->image = cli->image;
			break;
		case OPT_LAYER:
			if (n_layers >= RUN_CLI_MAX_LAYERS)
				return log_error_errno(-EINVAL, "--layer: at most %d layers",
						       RUN_CLI_MAX_LAYERS);
			if (!realpath(optarg, cli->layer_paths[n_layers]))
				return log_error_errno(-errno, "--layer: '%s': %m", optarg);
			cli->layers[n_layers] = cli->layer_paths[n_layers];
			cli->layers[++n_layers] = NULL;
			break;
		case OPT_WORKDIR:
			if (util_mkdir_p(optarg, 0755) < 0 || !realpath(optarg, cli->workdir))
				return log_error_errno(-errno, "--workdir: '%s': %m", optarg);
			c->workdir = cli->workdir;
			break;
		case OPT_CHDIR:
			if (optarg[0] != '/')
				return log_error_errno(-EINVAL, "--chdir: '%s' must be absolute",
						       optarg);
			c->cwd = optarg;
			break;
		case OPT_BIND_RO: {
			char *colon = strchr(optarg, ':');
			if (c->n_binds >= RUN_CLI_MAX_BINDS)
				return log_error_errno(-EINVAL, "--bind-ro: at most %d binds",
						       RUN_CLI_MAX_BINDS);
			if (!colon || colon == optarg || colon[1] != '/')
				return log_error_errno(
					-EINVAL, "--bind-ro: expected SRC:/DST, got '%s'", optarg);
			/* argv stays as it was: the front door may pass it on to the runner. */
			_cleanup_free_ char *given = strndup(optarg, (size_t)(colon - optarg));
			if (!given)
				return log_error_errno(-ENOMEM, "--bind-ro: %m");
			char *src = realpath(given, NULL);
			if (!src)
				return log_error_errno(-errno, "--bind-ro: source '%s': %m", given);
			cli->bind_srcs[c->n_binds] = src;
			cli->binds[c->n_binds++] = (struct run_bind){.src = src, .dst = colon + 1};
			break;
		}
		case OPT_ENV:
			if (cli->n_env >= RUN_CLI_MAX_ENV)
				return log_error_errno(-EINVAL, "--env: at most %d variables",
						       RUN_CLI_MAX_ENV);
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return log_error_errno(
					-EINVAL, "--env: expected NAME=VALUE, got '%s'", optarg);
			cli->env[cli->n_env++] = optarg;
			break;
		case OPT_MEMORY:
			if (parse_size_opt("--memory", optarg, &c->memory_bytes) < 0)
				return -EINVAL;
			break;
		case OPT_CPU:
			if (parse_secs_opt("--cpu-time", optarg, &c->cpu_time_ms) < 0)
				return -EINVAL;
			break;
		case OPT_WALL:
			if (parse_secs_opt("--wall-time", optarg, &c->wall_time_ms) < 0)
				return -EINVAL;
			break;
		case OPT_PIDS:
			if (parse_count_opt("--pids", optarg, &c->pids) < 0)
				return -EINVAL;
			break;
		case OPT_OUTPUT:
			if (parse_size_opt("--output-limit", optarg, &c->output_limit) < 0)
				return -EINVAL;
			break;
		case OPT_FSIZE:
			if (parse_size_opt("--file-size", optarg, &c->file_size) < 0)
				return -EINVAL;
			break;
		case OPT_DISK:
			if (parse_size_opt("--disk", optarg, &c->disk_bytes) < 0)
				return -EINVAL;
			break;
		case OPT_NOFILE:
			if (parse_count_opt("--open-files", optarg, &c->open_files) < 0)
				return -EINVAL;
			break;
		case OPT_POLICY:
			cli->policy_arg = optarg;
			break;
		case OPT_STDIN:
			cli->stdin_path = optarg;
			break;
		case OPT_STDOUT:
			cli->stdout_path = optarg;
			break;
		case OPT_STDERR:
			cli->stderr_path = optarg;
			break;
		case OPT_RESULT:
			cli->result_path = optarg;
			break;
		case OPT_QUIET:
			cli->quiet = true;
			break;
		case OPT_TIMING:
			cli->timing = true;
			break;
		case OPT_COLD:
			cli->cold = true;
			break;
		case OPT_REPEAT:
			if (parse_count_opt("--repeat", optarg, &cli->repeat) < 0)
				return -EINVAL;
			if (cli->repeat > 1000000)
				return log_error_errno(-EINVAL, "--repeat: at most 1000000 runs");
			break;
		case OPT_HELP:
		case 'h':
			cli->help = true;
			return 0;
		default:
			return usage_error();
		}
	}
	if (optind >= argc)
		return log_error_errno(
			-EINVAL,
			"run: no program given (gradebox run [OPTIONS] -- PROGRAM [ARGS...])");
	if (geteuid() != 0)
		return log_error_errno(
			-EPERM,
			"run: must run as root (it creates namespaces, cgroups and mounts)");
	c->argv = argv + optind;
	c->layers = n_layers ? cli->layers : NULL;
	if (cli->n_env) {
		/* The minimal environment's PATH stays unless --env sets one. */
		bool has_path = false;
		for (size_t i = 0; i < cli->n_env; i++)
			has_path |= strncmp(cli->env[i], "PATH=", 5) == 0;
		static char default_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
		if (!has_path)
			cli->env[cli->n_env++] = default_path;
		cli->env[cli->n_env] = NULL;
		c->envp = cli->env;
	}
	return 0;
}

static int
open_stream(const char *opt, const char *path, int flags, int *fd, int *config_fd)
{
	if (!path)
		return 0;
	*fd = open(path, flags | O_CLOEXEC | O_NOCTTY, 0644);
	if (*fd < 0)
		return log_error_errno(-errno, "%s: cannot open '%s': %m", opt, path);
	*config_fd = *fd;
	return 0;
}

/* Takes the streams the front door opened (run_cli_pass_streams()) for the options given.
 * Returns 1 if there were any, 0 if not, or -EINVAL. */
static int
take_streams(struct run_cli *cli)
{
	const char *e = getenv(RUN_CLI_STREAMS_ENV);
	int fd[4];

	if (!e)
		return 0;
	int n = sscanf(e, "%d,%d,%d,%d", &fd[0], &fd[1], &fd[2], &fd[3]);
	(void)unsetenv(RUN_CLI_STREAMS_ENV); /* never into a program's environment */
	const char *paths[4] = {cli->stdin_path, cli->stdout_path, cli->stderr_path,
				cli->result_path};
	int *mine[4] = {&cli->in_fd, &cli->out_fd, &cli->err_fd, &cli->result_fd};
	int *config[4] = {&cli->c.stdin_fd, &cli->c.stdout_fd, &cli->c.stderr_fd, NULL};
	if (n != 4)
		return log_error_errno(-EINVAL, "run: malformed %s", RUN_CLI_STREAMS_ENV);
	/* Each must be open exactly where a path was given: the same command line was parsed. */
	for (int i = 0; i < 4; i++)
		if ((paths[i] != NULL) != (fd[i] >= 0) ||
		    (fd[i] >= 0 && fcntl(fd[i], F_SETFD, FD_CLOEXEC) < 0))
			return log_error_errno(-EINVAL, "run: %s does not match the options",
					       RUN_CLI_STREAMS_ENV);
	for (int i = 0; i < 4; i++) {
		*mine[i] = fd[i];
		if (config[i])
			*config[i] = fd[i];
	}
	return 1;
}

int
run_cli_pass_streams(struct run_cli *cli)
{
	int fd[4] = {cli->in_fd, cli->out_fd, cli->err_fd, cli->result_fd};
	char v[64];

	for (int i = 0; i < 4; i++)
		if (fd[i] >= 0 && fcntl(fd[i], F_SETFD, 0) < 0)
			return -errno;
	snprintf(v, sizeof(v), "%d,%d,%d,%d", fd[0], fd[1], fd[2], fd[3]);
	return setenv(RUN_CLI_STREAMS_ENV, v, 1) < 0 ? -errno : 0;
}

int
run_cli_open_streams(struct run_cli *cli)
{
	int t = take_streams(cli);
	if (t != 0)
		return t < 0 ? t : 0;
	int r = open_stream("--stdin", cli->stdin_path, O_RDONLY, &cli->in_fd, &cli->c.stdin_fd);
	if (r == 0)
		r = open_stream("--stdout", cli->stdout_path, O_WRONLY | O_CREAT | O_TRUNC,
				&cli->out_fd, &cli->c.stdout_fd);
	if (r == 0)
		r = open_stream("--stderr", cli->stderr_path, O_WRONLY | O_CREAT | O_TRUNC,
				&cli->err_fd, &cli->c.stderr_fd);
	if (r == 0 && cli->result_path) {
		cli->result_fd = open(cli->result_path,
				      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
		if (cli->result_fd < 0)
			r = log_error_errno(-errno, "--result: cannot write '%s': %m",
					    cli->result_path);
	}
	return r;
}

void
run_cli_done(struct run_cli *cli)
{
	for (size_t i = 0; i < cli->c.n_binds; i++)
		free(cli->bind_srcs[i]);
	cli->c.n_binds = 0;
	int *fds[] = {&cli->in_fd, &cli->out_fd, &cli->err_fd, &cli->result_fd};
	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

void
run_cli_report(const struct run_result *res)
{
	log_notice("status %s: %s (cpu %" PRIu64 " ms, wall %" PRIu64 " ms, memory %" PRIu64
		   " KiB)",
		   run_status_to_string(res->status), res->message, res->cpu_time_ms,
		   res->wall_time_ms, res->memory_peak_kb);
}

int
run_cli_exit_code(const struct run_result *res)
{
	return res->status == RUN_OK ? 0 : res->status == RUN_XX ? 2 : 1;
}

void
run_cli_print_timing(const struct run_result *res, bool warm)
{
	if (warm)
		fprintf(stderr, "gradebox: timing: a warm sandbox from the pool (built before the "
				"request; torn down after the reply)\n");
	/* Per-step breakdown: microseconds since the previous step that happened. */
	uint64_t prev = res->step_ns[RUN_STEP_START];
	for (int i = 1; i < _RUN_STEP_MAX; i++) {
		if (!res->step_ns[i])
			continue;
		fprintf(stderr, "gradebox: timing %-10s +%6" PRIu64 " us\n", run_step_to_string(i),
			(res->step_ns[i] - prev) / 1000);
		prev = res->step_ns[i];
	}
	fprintf(stderr, "gradebox: timing %-10s  %6" PRIu64 " us\n", "total",
		(prev - res->step_ns[RUN_STEP_START]) / 1000);
}
