/* SPDX-License-Identifier: MIT */
/* `gradebox run`: one program in a fresh sandbox, the result as JSON. The option names are a
 * contract used by scripts, tests and the grading pipeline. */
#include "cli.h"
#include "log.h"
#include "policy.h"
#include "pool.h"
#include "run.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#define MAX_BINDS 64
#define MAX_ENV	  256

const char *
cli_policy_dir(char *buf, size_t size)
{
	const char *e = getenv("GRADEBOX_POLICY_DIR");
	char exe[PATH_MAX];

	if (e && *e) {
		snprintf(buf, size, "%s", e);
		return buf;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(buf, size, "%s/../policies", exe);
			if (access(buf, R_OK) == 0)
				return buf;
		}
	}
	snprintf(buf, size, "/usr/share/gradebox/policies");
	return buf;
}

static void
run_usage(FILE *f)
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

static json_t *
result_to_json(const struct run_result *r)
{
	json_t *j = json_object();
	json_object_set_new(j, "status", json_string(run_status_to_string(r->status)));
	json_object_set_new(j, "exit_code",
			    r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
	json_object_set_new(j, "signal", r->signal ? json_integer(r->signal) : json_null());
	json_object_set_new(j, "cpu_time_ms", json_integer((json_int_t)r->cpu_time_ms));
	json_object_set_new(j, "wall_time_ms", json_integer((json_int_t)r->wall_time_ms));
	json_object_set_new(j, "memory_peak_kb", json_integer((json_int_t)r->memory_peak_kb));
	json_object_set_new(j, "output_bytes", json_integer((json_int_t)r->output_bytes));
	json_object_set_new(j, "output_truncated", json_boolean(r->output_truncated));
	json_object_set_new(j, "denied_syscall",
			    r->denied_syscall[0] ? json_string(r->denied_syscall) : json_null());
	if (r->denied_syscall[0]) {
		json_t *args = json_array();
		for (int i = 0; i < 6; i++)
			json_array_append_new(args, json_integer((json_int_t)r->denied_args[i]));
		json_object_set_new(j, "denied_args", args);
		json_object_set_new(j, "denied_pid", json_integer(r->denied_pid));
		json_object_set_new(j, "frozen", json_boolean(r->frozen));
		json_object_set_new(j, "process_tree", json_string(r->process_tree));
	}
	json_object_set_new(j, "host_uid_base", json_integer(r->host_uid_base));
	json_object_set_new(j, "message", json_string(r->message));
	return j;
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

static int
open_file(const char *opt, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		log_error("%s: cannot open '%s': %m", opt, path);
	return fd;
}

/* ---- compiled-policy cache ----
 * Parsing and compiling a policy costs about 1.5 ms, a tenth of a whole run. The compiled
 * program is kept in /run/gradebox/bpf/<key>, root-only. The key covers everything the
 * program depends on: each policy file read (path, size, mtime, inode; includes found by the
 * same "include NAME" lines the parser follows), the gradebox binary and libseccomp's
 * version. A stale or damaged entry just means compiling again. */

#define BPF_CACHE_DIR "/run/gradebox/bpf"

static void
fnv(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 1099511628211ULL;
	}
}

static int
hash_file(uint64_t *h, const char *path, const char *dir, int depth)
{
	struct stat st;
	char line[1100];

	if (depth > 8 || stat(path, &st) < 0)
		return -ENOENT;
	fnv(h, path, strlen(path) + 1);
	fnv(h, &st.st_size, sizeof(st.st_size));
	fnv(h, &st.st_mtim, sizeof(st.st_mtim));
	fnv(h, &st.st_ino, sizeof(st.st_ino));
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char name[256], sub[PATH_MAX + 300];
		if (sscanf(line, " include %255s", name) != 1)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s.policy", dir, name);
		int r = hash_file(h, sub, dir, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
policy_cache_key(const char *arg, const char *dir, char key[17])
{
	char path[PATH_MAX + 300];
	struct stat st;
	uint64_t h = 14695981039346656037ULL;
	const struct scmp_version *v = seccomp_version();

	if (strchr(arg, '/'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/%s.policy", dir, arg);
	fnv(&h, "gradebox-bpf-1", 14);
	if (v)
		fnv(&h, v, sizeof(*v));
	if (stat("/proc/self/exe", &st) == 0) {
		fnv(&h, &st.st_size, sizeof(st.st_size));
		fnv(&h, &st.st_mtim, sizeof(st.st_mtim));
	}
	int r = hash_file(&h, path, dir, 0);
	if (r < 0)
		return r;
	snprintf(key, 17, "%016llx", (unsigned long long)h);
	return 0;
}

static int
cache_read(const char *key, struct policy_bpf *ret)
{
	static char buf[4096 * 8 + 1]; /* not on the stack: see handle_stream() in sandbox/run.c */
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", BPF_CACHE_DIR, key);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = util_read_full(fd, buf, sizeof(buf));
	if (n <= 0 || (size_t)n == sizeof(buf))
		return -EINVAL;
	return policy_bpf_from_bytes(buf, (size_t)n, ret);
}

#define BPF_CACHE_KEEP 64 /* entries; each is about 1 KiB on tmpfs */

struct cache_entry {
	char name[64];
	struct timespec mtime;
};

static int
cache_entry_older(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return (x->mtime.tv_nsec > y->mtime.tv_nsec) - (x->mtime.tv_nsec < y->mtime.tv_nsec);
}

/* Keys include the binary's identity, so every rebuild or upgrade leaves the old entries
 * unused: past BPF_CACHE_KEEP entries, the oldest go (a removed entry in use by another run
 * only means compiling again). Runs when an entry is written, which is rare. */
static void
cache_prune(void)
{
	_cleanup_(closedirp_) DIR *d = opendir(BPF_CACHE_DIR);
	struct cache_entry *e = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(e->name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct cache_entry *ne =
				realloc(e, (cap = cap ? 2 * cap : 64) * sizeof(*e));
			if (!ne)
				break;
			e = ne;
		}
		snprintf(e[n].name, sizeof(e[n].name), "%s", de->d_name);
		e[n++].mtime = st.st_mtim;
	}
	if (n > BPF_CACHE_KEEP) {
		qsort(e, n, sizeof(*e), cache_entry_older);
		for (size_t i = 0; i < n - BPF_CACHE_KEEP; i++)
			(void)unlinkat(dirfd(d), e[i].name, 0);
	}
	free(e);
}

static void
cache_write(const char *key, const struct policy_bpf *b)
{
	char path[128], tmp[160];
	if (util_mkdir_p(BPF_CACHE_DIR, 0700) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", BPF_CACHE_DIR, key);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* 8 bytes per instruction (struct sock_filter). */
	if (util_write_all(fd, b->insns, b->len * 8) < 0 || rename(tmp, path) < 0)
		(void)unlink(tmp);
	else
		cache_prune();
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

/* One run: from the warm pool when one listens and the run has the pool's shape, else in a
 * sandbox built here. Returns -errno (already reported) when it could not run. */
static int
run_one(struct run_config *c, bool cold, bool quiet, struct run_result *res, bool *ret_warm)
{
	int r;

	*ret_warm = false;
	/* A warm pool's sandboxes have the host-derived image, no layers and a tmpfs writable
	 * layer; the pool checks the rest of the shape (disk size, binds). */
	if (!cold && c->bpf && !c->image && !c->layers && !c->workdir) {
		r = pool_run(NULL, c, res);
		if (r == 0) {
			*ret_warm = true;
			return 0;
		}
		if (r == 1 && res->message[0] && !quiet)
			log_notice("run: the warm pool refused (%s); building a sandbox",
				   res->message);
		else if (r < 0 && r != -ENOENT && r != -ECONNREFUSED && r != -EXDEV) {
			/* The program may have started: running it again could do things twice. */
			return log_error_errno(r, "run: the warm pool failed during the run: %m");
		}
	}
	(void)run_cleanup_stale(c->state_dir, c->cgroup_root);
	/* SIGINT, SIGTERM and SIGHUP wait until the sandbox is gone: blocked during the run,
	 * they cancel it through a signalfd (cancel_fd) and take their usual effect once it has
	 * been torn down. Left alone, a Ctrl-C or `timeout` would leave the cgroups behind until
	 * the next run removed them. Ignored signals stay ignored (nohup). */
	static const int stop_sigs[] = {SIGINT, SIGTERM, SIGHUP};
	sigset_t stop, old;
	sigemptyset(&stop);
	for (size_t i = 0; i < ELEMENTSOF(stop_sigs); i++) {
		struct sigaction sa;
		if (sigaction(stop_sigs[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
			sigaddset(&stop, stop_sigs[i]);
	}
	(void)sigprocmask(SIG_BLOCK, &stop, &old);
	_cleanup_close_ int sfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
	c->cancel_fd = sfd;
	r = run_sandbox(c, res);
	c->cancel_fd = -1;
	/* A signal that came during the run is delivered here. */
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return log_error_errno(r, "run: %m");
	return 0;
}

static void
print_timing(const struct run_result *res, bool warm)
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

int
cmd_run(int argc, char **argv)
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
	struct run_config c;
	struct run_bind binds[MAX_BINDS];
	char *bind_srcs[MAX_BINDS];
	char *env[MAX_ENV + 1];
	const char *layers[17] = {0};
	size_t n_env = 0, n_layers = 0;
	const char *policy_arg = "run", *result_path = NULL;
	_cleanup_close_ int in_fd = -1, out_fd = -1, err_fd = -1;
	_cleanup_(policy_freep) struct policy *policy = NULL;
	/* Static: 72 KiB of stack frame would cost ~18 page faults per run to the stack-clash
	 * probes (docs/performance.md); cmd_run() runs once per process. */
	static char abs_image[PATH_MAX], abs_work[PATH_MAX], abs_layers[16][PATH_MAX];
	bool quiet = false, timing = false, cold = false;
	uint64_t repeat = 1;
	int o;

	run_config_init(&c);
	c.binds = binds;
	c.stdout_fd = STDOUT_FILENO;
	c.stderr_fd = STDERR_FILENO;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case OPT_IMAGE:
			if (!realpath(optarg, abs_image))
				return log_error("--image: '%s': %m", optarg), 2;
			c.image = abs_image;
			break;
		case OPT_LAYER:
			if (n_layers >= 16)
				return log_error("--layer: at most 16 layers"), 2;
			if (!realpath(optarg, abs_layers[n_layers]))
				return log_error("--layer: '%s': %m", optarg), 2;
			layers[n_layers] = abs_layers[n_layers];
			n_layers++;
			break;
		case OPT_WORKDIR:
			if (util_mkdir_p(optarg, 0755) < 0 || !realpath(optarg, abs_work))
				return log_error("--workdir: '%s': %m", optarg), 2;
			c.workdir = abs_work;
			break;
		case OPT_CHDIR:
			if (optarg[0] != '/')
				return log_error("--chdir: '%s' must be absolute", optarg), 2;
			c.cwd = optarg;
			break;
		case OPT_BIND_RO: {
			char *colon = strchr(optarg, ':');
			if (c.n_binds >= MAX_BINDS)
				return log_error("--bind-ro: at most %d binds", MAX_BINDS), 2;
			if (!colon || colon == optarg || colon[1] != '/')
				return log_error("--bind-ro: expected SRC:/DST, got '%s'", optarg),
				       2;
			*colon = 0;
			char *src = realpath(optarg, NULL);
			if (!src)
				return log_error("--bind-ro: source '%s': %m", optarg), 2;
			bind_srcs[c.n_binds] = src;
			binds[c.n_binds++] = (struct run_bind){.src = src, .dst = colon + 1};
			break;
		}
		case OPT_ENV:
			if (n_env >= MAX_ENV)
				return log_error("--env: at most %d variables", MAX_ENV), 2;
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return log_error("--env: expected NAME=VALUE, got '%s'", optarg), 2;
			env[n_env++] = optarg;
			break;
		case OPT_MEMORY:
			if (parse_size_opt("--memory", optarg, &c.memory_bytes) < 0)
				return 2;
			break;
		case OPT_CPU:
			if (parse_secs_opt("--cpu-time", optarg, &c.cpu_time_ms) < 0)
				return 2;
			break;
		case OPT_WALL:
			if (parse_secs_opt("--wall-time", optarg, &c.wall_time_ms) < 0)
				return 2;
			break;
		case OPT_PIDS:
			if (parse_count_opt("--pids", optarg, &c.pids) < 0)
				return 2;
			break;
		case OPT_OUTPUT:
			if (parse_size_opt("--output-limit", optarg, &c.output_limit) < 0)
				return 2;
			break;
		case OPT_FSIZE:
			if (parse_size_opt("--file-size", optarg, &c.file_size) < 0)
				return 2;
			break;
		case OPT_DISK:
			if (parse_size_opt("--disk", optarg, &c.disk_bytes) < 0)
				return 2;
			break;
		case OPT_NOFILE:
			if (parse_count_opt("--open-files", optarg, &c.open_files) < 0)
				return 2;
			break;
		case OPT_POLICY:
			policy_arg = optarg;
			break;
		case OPT_STDIN:
			if ((in_fd = open_file("--stdin", optarg, O_RDONLY)) < 0)
				return 2;
			c.stdin_fd = in_fd;
			break;
		case OPT_STDOUT:
			if ((out_fd = open_file("--stdout", optarg, O_WRONLY | O_CREAT | O_TRUNC)) <
			    0)
				return 2;
			c.stdout_fd = out_fd;
			break;
		case OPT_STDERR:
			if ((err_fd = open_file("--stderr", optarg, O_WRONLY | O_CREAT | O_TRUNC)) <
			    0)
				return 2;
			c.stderr_fd = err_fd;
			break;
		case OPT_RESULT:
			result_path = optarg;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_TIMING:
			timing = true;
			break;
		case OPT_COLD:
			cold = true;
			break;
		case OPT_REPEAT:
			if (parse_count_opt("--repeat", optarg, &repeat) < 0)
				return 2;
			if (repeat > 1000000)
				return log_error("--repeat: at most 1000000 runs"), 2;
			break;
		case OPT_HELP:
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		log_error("run: no program given (gradebox run [OPTIONS] -- PROGRAM [ARGS...])");
		return 2;
	}
	if (geteuid() != 0) {
		log_error("run: must run as root (it creates namespaces, cgroups and mounts)");
		return 2;
	}
	c.argv = argv + optind;
	c.layers = n_layers ? layers : NULL;
	if (n_env) {
		/* The minimal environment's PATH stays unless --env sets one. */
		bool has_path = false;
		for (size_t i = 0; i < n_env; i++)
			has_path |= strncmp(env[i], "PATH=", 5) == 0;
		static char default_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
		if (!has_path && n_env < MAX_ENV)
			env[n_env++] = default_path;
		env[n_env] = NULL;
		c.envp = env;
	}

	char pdir[PATH_MAX], key[17] = "";
	struct policy_error perr = {0};
	struct policy_bpf bpf = {0};
	cli_policy_dir(pdir, sizeof(pdir));
	int r = policy_cache_key(policy_arg, pdir, key);
	if (r == 0 && cache_read(key, &bpf) == 0)
		c.bpf = &bpf; /* compiled and checked by an earlier run */
	else {
		r = policy_load(policy_arg, pdir, &policy, &perr);
		if (r < 0) {
			if (perr.line)
				log_error("policy %s:%u: %s", perr.file, perr.line, perr.message);
			else
				log_error("policy '%s': %s", perr.file[0] ? perr.file : policy_arg,
					  perr.message[0] ? perr.message : strerror(-r));
			return 2;
		}
		c.policy = policy;
		if (key[0] && policy_allows(policy, "sendmsg") && policy_allows(policy, "execve") &&
		    policy_compile_bpf(policy, &bpf) == 0) {
			cache_write(key, &bpf);
			c.bpf = &bpf;
		}
	}

	/* Runs of one --repeat share a network namespace, one run after the other, as the runs of
	 * one pool slot do (docs/SECURITY.md): creating and tearing one down per run is a
	 * third of a cold run's kernel work. */
	_cleanup_close_ int netns = -1;
	if (repeat > 1) {
		r = run_netns_create(&netns);
		if (r < 0) {
			log_error_errno(r, "run: cannot create the network namespace: %m");
			goto out;
		}
		c.netns_fd = netns;
	}
	json_t *results = result_path ? json_array() : NULL;
	uint64_t n_ok = 0, n_done = 0, t0 = util_now_ns();
	int rc = 0;
	for (uint64_t i = 0; i < repeat; i++) {
		struct run_result res;
		bool warm = false;

		if (in_fd >= 0 && i > 0 && lseek(in_fd, 0, SEEK_SET) < 0) {
			log_error("--stdin: cannot rewind it for the next run: %m");
			rc = 2;
			break;
		}
		r = run_one(&c, cold, quiet, &res, &warm);
		if (r < 0) {
			rc = 2;
			break;
		}
		n_done++;
		if (results) {
			json_t *j = result_to_json(&res);
			/* Whether a warm sandbox from the pool ran it (tests check the pool is used). */
			json_object_set_new(j, "pool", json_boolean(warm));
			json_array_append_new(results, j);
		}
		if (!quiet)
			log_notice("status %s: %s (cpu %" PRIu64 " ms, wall %" PRIu64
				   " ms, memory %" PRIu64 " KiB)",
				   run_status_to_string(res.status), res.message, res.cpu_time_ms,
				   res.wall_time_ms, res.memory_peak_kb);
		if (timing)
			print_timing(&res, warm);
		if (res.status == RUN_XX) {
			rc = 2; /* an internal failure: later runs would only repeat it */
			break;
		}
		if (res.status == RUN_OK)
			n_ok++;
		else
			rc = 1;
	}
	if (repeat > 1 && !quiet) {
		uint64_t ns = util_now_ns() - t0;
		log_notice("%" PRIu64 " of %" PRIu64 " runs done, %" PRIu64 " OK, in %" PRIu64
			   " ms (%.2f ms per run)",
			   n_done, repeat, n_ok, ns / 1000000,
			   n_done ? (double)ns / 1e6 / (double)n_done : 0.0);
	}
	if (results) {
		/* One object for one run (the contract scripts use); an array for --repeat. */
		json_t *doc = repeat > 1 ? results : json_array_get(results, 0); /* borrowed */
		if (doc && json_dump_file(doc, result_path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
			log_error("--result: cannot write '%s'", result_path);
			rc = 2;
		}
		json_decref(results);
	}
	r = rc;
out:
	policy_bpf_clear(&bpf);
	for (size_t i = 0; i < c.n_binds; i++)
		free(bind_srcs[i]);
	return r < 0 ? 2 : r;
}
