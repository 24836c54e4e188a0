/* SPDX-License-Identifier: MIT */
/* The grading pipeline of one submission. Every step is a sandbox run; this file only decides
 * what each run sees (layers, binds, limits, policy) and what its outcome means. All steps of
 * a job share one slot, so the files one step writes belong to the next step's user too, and
 * one network namespace, one step after the other (each step's init ends every process of the
 * step first), as the runs of a pool slot do. */
#include "pipeline.h"
#include "run_json.h"

#include "assignment.h"
#include "checker.h"
#include "evidence.h"
#include "log.h"
#include "policy.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Server defaults for what a spec leaves unset. */
static const struct assignment_limits run_defaults = {
	.cpu_time_ms = 2000,
	.wall_time_ms = 6000,
	.memory = 256ULL << 20,
	.pids = 32,
	.output = 1ULL << 20,
	.disk = 64ULL << 20,
	.file_size = 16ULL << 20,
	.open_files = 64,
};
static const struct assignment_limits build_defaults = {
	.cpu_time_ms = 30000,
	.wall_time_ms = 60000,
	.memory = 512ULL << 20,
	.pids = 64,
	.output = 1ULL << 20,
	.disk = 128ULL << 20,
	.file_size = 64ULL << 20,
	.open_files = 256,
};

#define PICK(a, b) ((a) ? (a) : (b))

static void
apply_limits(struct run_config *rc, const struct assignment_limits *l,
	     const struct assignment_limits *d)
{
	rc->cpu_time_ms = PICK(l->cpu_time_ms, d->cpu_time_ms);
	rc->wall_time_ms = PICK(l->wall_time_ms, d->wall_time_ms);
	rc->memory_bytes = PICK(l->memory, d->memory);
	rc->pids = PICK(l->pids, d->pids);
	rc->output_limit = PICK(l->output, d->output);
	rc->disk_bytes = PICK(l->disk, d->disk);
	rc->file_size = PICK(l->file_size, d->file_size);
	rc->open_files = PICK(l->open_files, d->open_files);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads at most @cap bytes of @path into a new NUL-terminated buffer; *ret_size gets the file's
 * full size. */
static char *
read_capped(const char *path, size_t cap, uint64_t *ret_size, size_t *ret_len)
{
	struct stat st;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	size_t n = (uint64_t)st.st_size < cap ? (size_t)st.st_size : cap;
	char *buf = malloc(n + 1);
	if (!buf)
		return NULL;
	ssize_t k = util_read_full(fd, buf, n);
	if (k < 0) {
		free(buf);
		return NULL;
	}
	buf[k] = 0;
	if (ret_size)
		*ret_size = (uint64_t)st.st_size;
	if (ret_len)
		*ret_len = (size_t)k;
	return buf;
}

static char *
read_tail(const char *path, size_t cap)
{
	struct stat st;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size <= cap)
		return NULL;
	char *buf = malloc(cap + 1);
	if (!buf)
		return NULL;
	ssize_t k = pread(fd, buf, cap, st.st_size - (off_t)cap);
	if (k < 0)
		k = 0;
	buf[k] = 0;
	return buf;
}

struct job {
	const struct pipeline_config *cfg;
	const struct assignment *a;
	struct run_slot *slot;			    /* owned */
	int netns;				    /* owned: the job's network namespace */
	struct policy *p_unpack, *p_build, *p_run;  /* owned */
	struct policy_bpf f_unpack, f_build, f_run; /* owned: compiled once per job */
	char scratch[512];			    /* the job's scratch tmpfs */
	char unpack_upper[600];			    /* the submission's layer */
	char build_upper[600];			    /* the build output's layer */
	bool built;
};

static void
job_clear(struct job *j)
{
	run_slot_release(j->slot);
	if (j->netns >= 0)
		(void)close(j->netns);
	policy_free(j->p_unpack);
	policy_free(j->p_build);
	policy_free(j->p_run);
	policy_bpf_clear(&j->f_unpack);
	policy_bpf_clear(&j->f_build);
	policy_bpf_clear(&j->f_run);
}

static int
load_policy(const struct pipeline_config *cfg, const char *name, struct policy **ret,
	    struct policy_bpf *ret_bpf, char *msg, size_t size)
{
	struct policy_error e = {0};
	int r = policy_load(name, cfg->policy_dir, ret, &e);
	if (r == 0 && (!policy_allows(*ret, "sendmsg") || !policy_allows(*ret, "execve"))) {
		snprintf(msg, size, "policy %s must allow sendmsg and execve", name);
		return -EINVAL;
	}
	/* Every run of the job loads the same program: compile it once. */
	if (r == 0 && (r = policy_compile_bpf(*ret, ret_bpf)) < 0) {
		snprintf(msg, size, "policy %s: cannot compile: %s", name, strerror(-r));
		return r;
	}
	if (r < 0)
		snprintf(msg, size, "policy %s: %.150s:%u: %.200s", name, e.file, e.line,
			 e.message[0] ? e.message : strerror(-r));
	return r;
}

struct incident {
	const struct pipeline_config *cfg;
	const char *step;
	struct pipeline_evidence *out;
};

/* Called by the supervisor with the sandbox frozen: snapshot before the kill. */
static void
on_violation(const struct run_violation *v, void *userdata)
{
	struct incident *x = userdata;
	struct evidence_info info = {.syscall = v->syscall,
				     .args = v->args,
				     .pid = v->pid,
				     .process_tree = v->process_tree,
				     .step = x->step};
	if (!x->cfg->evidence_dir)
		return;
	int r = evidence_snapshot(v->upper_dirfd, &info, x->cfg->evidence_dir, 16ULL << 20,
				  x->out->file, sizeof(x->out->file), x->out->sha256);
	if (r < 0) {
		log_warning_errno(r, "cannot write the evidence of a violation in %s: %m", x->step);
		x->out->file[0] = 0;
	}
}

static void
base_config(struct job *j, struct run_config *rc)
{
	run_config_init(rc);
	rc->state_dir = j->cfg->state_dir;
	rc->slot = j->slot;
	rc->netns_fd = j->netns;
	rc->image = j->cfg->image;
	/* The worker grades at nice 10 so that the server's event loop comes first; on cgroup v2
	 * that holds only if the sandbox's group weighs what nice 10 weighs (11, not 100). */
	rc->cpu_weight = run_cpu_weight_of(0, NULL);
}

/* Step 1: the archive is parsed only inside a sandbox, by `gradebox unpack-helper`. */
static enum verdict
step_unpack(struct job *j, const char *tarball, struct pipeline_result *res)
{
	char work[560], outp[PATH_MAX], maxb[32], maxe[32];
	struct run_config rc;

	snprintf(work, sizeof(work), "%s/unpack", j->scratch);
	snprintf(outp, sizeof(outp), "%s/unpack.json", j->scratch);
	snprintf(j->unpack_upper, sizeof(j->unpack_upper), "%s/upper", work);
	snprintf(maxb, sizeof(maxb), "%" PRIu64, j->cfg->max_archive_bytes);
	snprintf(maxe, sizeof(maxe), "%" PRIu64, j->cfg->max_entries);
	_cleanup_close_ int in = open(tarball, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0) {
		snprintf(res->message, sizeof(res->message), "cannot open the submission: %s",
			 strerror(errno));
		return VERDICT_IE;
	}
	char *argv[] = {strdupa("/.gradebox/gradebox"),
			strdupa("unpack-helper"),
			strdupa("--max-bytes"),
			maxb,
			strdupa("--max-entries"),
			maxe,
			NULL};
	struct run_bind bind = {.src = j->cfg->self_exe, .dst = "/.gradebox/gradebox"};
	base_config(j, &rc);
	/* Our own tool, not the student's toolchain: always the host-derived image. */
	rc.image = NULL;
	rc.workdir = work;
	rc.argv = argv;
	rc.policy = j->p_unpack;
	rc.bpf = &j->f_unpack;
	rc.binds = &bind;
	rc.n_binds = 1;
	rc.stdin_fd = in;
	rc.stdout_fd = out;
	rc.memory_bytes = 128ULL << 20;
	rc.cpu_time_ms = 20000;
	rc.wall_time_ms = 60000;
	rc.pids = 4;
	rc.output_limit = 64 << 10;
	rc.file_size = j->cfg->max_archive_bytes + 1;
	rc.open_files = 32;
	int r = run_sandbox(&rc, &res->unpack);
	/* The bind's mount point is an empty file in the layer: not part of the submission. */
	char mp[PATH_MAX];
	snprintf(mp, sizeof(mp), "%s/.gradebox", j->unpack_upper);
	(void)util_rm_rf(mp);
	if (r < 0 || res->unpack.status == RUN_XX) {
		snprintf(res->message, sizeof(res->message), "unpack sandbox failed: %s",
			 res->unpack.message);
		return VERDICT_IE;
	}
	if (res->unpack.status == RUN_SV) {
		snprintf(res->message, sizeof(res->message),
			 "the archive made the unpacker call %s (denied)",
			 res->unpack.denied_syscall);
		return VERDICT_SV;
	}
	_cleanup_free_ char *line = read_capped(outp, 8192, NULL, NULL);
	json_t *jr = line ? json_loads(line, 0, NULL) : NULL;
	if (!jr) {
		/* No verdict line: the unpacker was killed by a limit (a bomb) or crashed. */
		snprintf(res->message, sizeof(res->message),
			 "submission rejected: %s while unpacking", res->unpack.message);
		/* CPU, memory or output limits: the archive made the unpacker work too hard (a
		 * bomb), the student's doing. A wall-clock kill with little CPU used means the
		 * grader stalled: not the student's fault, so IE and the job is retried. */
		if (res->unpack.status == RUN_OK || res->unpack.status == RUN_WT)
			return VERDICT_IE;
		return VERDICT_RJ;
	}
	enum verdict v = VERDICT_AC;
	if (!json_is_true(json_object_get(jr, "ok"))) {
		const char *entry = json_string_value(json_object_get(jr, "entry"));
		const char *reason = json_string_value(json_object_get(jr, "reason"));
		if (entry && *entry)
			snprintf(res->message, sizeof(res->message),
				 "submission rejected: entry '%.200s': %.250s", entry,
				 reason ? reason : "invalid");
		else
			snprintf(res->message, sizeof(res->message), "submission rejected: %.400s",
				 reason ? reason : "invalid archive");
		v = VERDICT_RJ;
	}
	json_decref(jr);
	return v;
}

static enum verdict
check_expected_files(struct job *j, struct pipeline_result *res)
{
	for (size_t i = 0; i < j->a->n_expected_files; i++) {
		char p[PATH_MAX];
		struct stat st;
		snprintf(p, sizeof(p), "%s/box/%s", j->unpack_upper, j->a->expected_files[i]);
		if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
			snprintf(res->message, sizeof(res->message),
				 "missing expected file '%.200s'", j->a->expected_files[i]);
			return VERDICT_CE;
		}
	}
	return VERDICT_AC;
}

/* Step 2: build once; its writable layer becomes a read-only layer of every test. */
static enum verdict
step_build(struct job *j, struct pipeline_result *res)
{
	char work[560], logp[PATH_MAX];
	const char *layers[] = {j->unpack_upper, NULL};
	struct run_config rc;

	if (!j->a->build.argv)
		return VERDICT_AC;
	snprintf(work, sizeof(work), "%s/build", j->scratch);
	snprintf(logp, sizeof(logp), "%s/build.log", j->scratch);
	snprintf(j->build_upper, sizeof(j->build_upper), "%s/upper", work);
	_cleanup_close_ int log = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (log < 0) {
		snprintf(res->message, sizeof(res->message), "cannot create the build log: %s",
			 strerror(errno));
		return VERDICT_IE;
	}
	base_config(j, &rc);
	rc.layers = layers;
	rc.workdir = work;
	char *argv[256];
	size_t n = 0;
	for (; n < j->a->build.argc && n < 255; n++)
		argv[n] = strdupa(j->a->build.argv[n]);
	argv[n] = NULL;
	rc.argv = argv;
	rc.policy = j->p_build;
	rc.bpf = &j->f_build;
	rc.stdout_fd = log;
	rc.stderr_fd = log;
	apply_limits(&rc, &j->a->build_limits, &build_defaults);
	struct incident inc = {.cfg = j->cfg, .step = "build", .out = &res->build_evidence};
	rc.on_violation = on_violation;
	rc.on_violation_userdata = &inc;
	int r = run_sandbox(&rc, &res->build);
	res->build_output = read_capped(logp, PIPELINE_BUILD_LOG_CAP, NULL, NULL);
	if (r < 0) {
		snprintf(res->message, sizeof(res->message), "build sandbox failed: %s",
			 strerror(-r));
		return VERDICT_IE;
	}
	enum verdict v = verdict_from_build(res->build.status);
	if (v != VERDICT_AC)
		snprintf(res->message, sizeof(res->message), "build failed: %.400s",
			 res->build.message);
	else
		j->built = true;
	return v;
}

static bool
check_output(struct job *j, const struct assignment_test *t, const char *outp, const char *inp,
	     struct pipeline_test *pt, bool *ret_ie)
{
	const struct assignment *a = j->a;
	_cleanup_free_ char *exp_buf = NULL, *got = NULL;
	const char *exp = t->expected_stdout;
	size_t exp_len = exp ? strlen(exp) : 0, got_len = 0;
	char msg[200] = "";
	int r;

	*ret_ie = false;
	if (t->expected) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", a->dir, t->expected);
		exp_buf = read_capped(p, 64ULL << 20, NULL, &exp_len);
		if (!exp_buf) {
			snprintf(pt->message, sizeof(pt->message),
				 "cannot read expected output '%s'", t->expected);
			*ret_ie = true;
			return false;
		}
		exp = exp_buf;
	}
	if (!exp) {
		exp = "";
		exp_len = 0;
	}
	got = read_capped(outp, 64ULL << 20, NULL, &got_len);
	if (!got) {
		got = strdup("");
		got_len = 0;
	}
	switch (a->checker) {
	case ASSIGNMENT_CHECKER_EXACT:
		r = checker_exact(exp, exp_len, got, got_len, msg, sizeof(msg));
		break;
	case ASSIGNMENT_CHECKER_TOKENS:
		r = checker_tokens(exp, exp_len, got, got_len, msg, sizeof(msg));
		break;
	case ASSIGNMENT_CHECKER_FLOAT:
		r = checker_float(exp, exp_len, got, got_len, a->float_abs_tol, a->float_rel_tol,
				  msg, sizeof(msg));
		break;
	case ASSIGNMENT_CHECKER_PROGRAM: {
		/* The staff's checker is code too: it runs in a sandbox of its own, seeing only the
		 * assignment directory and this test's three files. */
		char dir[1024], prog[PATH_MAX], ep[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/check-%s", j->scratch, t->name);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			*ret_ie = true;
			return false;
		}
		snprintf(ep, sizeof(ep), "%s/expected", dir);
		_cleanup_close_ int efd = open(ep, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (efd < 0 || util_write_all(efd, exp, exp_len) < 0) {
			*ret_ie = true;
			return false;
		}
		struct run_bind binds[] = {{.src = a->dir, .dst = "/checker"},
					   {.src = dir, .dst = "/check"},
					   {.src = outp, .dst = "/check/output"},
					   {.src = inp, .dst = "/check/input"}};
		snprintf(prog, sizeof(prog), "/checker/%s", a->checker_program);
		char *argv[] = {prog, strdupa("/check/input"), strdupa("/check/expected"),
				strdupa("/check/output"), NULL};
		struct run_config rc;
		struct run_result cr;
		base_config(j, &rc);
		rc.argv = argv;
		rc.policy = j->p_run;
		rc.bpf = &j->f_run;
		rc.binds = binds;
		rc.n_binds = ELEMENTSOF(binds);
		apply_limits(&rc, &run_defaults, &run_defaults);
		rc.cpu_time_ms = 10000;
		rc.wall_time_ms = 20000;
		if (run_sandbox(&rc, &cr) < 0 || (cr.status != RUN_OK && cr.status != RUN_RE) ||
		    (cr.status == RUN_RE && cr.exit_code != 1)) {
			snprintf(pt->message, sizeof(pt->message), "checker failed: %.200s",
				 cr.message);
			*ret_ie = true;
			return false;
		}
		r = cr.status == RUN_OK;
		if (!r)
			snprintf(msg, sizeof(msg), "rejected by the checker");
		break;
	}
	case _ASSIGNMENT_CHECKER_MAX:
	case _ASSIGNMENT_CHECKER_INVALID:
	default:
		r = -EINVAL;
		break;
	}
	if (r < 0) {
		*ret_ie = true;
		snprintf(pt->message, sizeof(pt->message), "checker error: %s", strerror(-r));
		return false;
	}
	if (!r)
		snprintf(pt->message, sizeof(pt->message), "%s", msg);
	return r == 1;
}

/* Step 3: one fresh sandbox per test over the image, the build output and the submission. */
static void
step_test(struct job *j, size_t i, struct pipeline_test *pt)
{
	const struct assignment *a = j->a;
	const struct assignment_test *t = &a->tests[i];
	char outp[PATH_MAX], errp[PATH_MAX], inp[PATH_MAX];
	const char *layers[3] = {0};
	size_t nl = 0;
	struct run_config rc;
	char *argv[256];
	size_t n = 0;

	snprintf(pt->name, sizeof(pt->name), "%s", t->name);
	pt->max_score = t->points;
	if (j->built)
		layers[nl++] = j->build_upper;
	layers[nl++] = j->unpack_upper;
	snprintf(outp, sizeof(outp), "%s/out-%zu", j->scratch, i);
	snprintf(errp, sizeof(errp), "%s/err-%zu", j->scratch, i);
	if (t->input)
		snprintf(inp, sizeof(inp), "%s/%s", a->dir, t->input);
	else {
		snprintf(inp, sizeof(inp), "%s/in-%zu", j->scratch, i);
		_cleanup_close_ int f = open(inp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		const char *s = t->stdin_text ? t->stdin_text : "";
		if (f < 0 || util_write_all(f, s, strlen(s)) < 0) {
			pt->verdict = VERDICT_IE;
			snprintf(pt->message, sizeof(pt->message), "cannot write the test input");
			return;
		}
	}
	_cleanup_close_ int in = open(inp, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	_cleanup_close_ int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0 || err < 0) {
		pt->verdict = VERDICT_IE;
		snprintf(pt->message, sizeof(pt->message), "cannot open test files: %s",
			 strerror(errno));
		return;
	}
	/* The run command, then the test's arguments; a shell string gets them as "$@". */
	char shell_cmd[4096], words[4096];
	if (a->run.shell && !strpbrk(a->run.argv[2], "$`|&;<>()*?[]{}~'\"\\#=\n")) {
		/* A plain "./prog arg" needs no shell: one process less, and the run policy need
		 * not allow what a shell does. */
		snprintf(words, sizeof(words), "%s", a->run.argv[2]);
		char *save = NULL;
		for (char *w = strtok_r(words, " \t", &save); w && n < 200;
		     w = strtok_r(NULL, " \t", &save))
			argv[n++] = w;
	} else if (a->run.shell) {
		snprintf(shell_cmd, sizeof(shell_cmd), "%s \"$@\"", a->run.argv[2]);
		argv[n++] = strdupa("/bin/sh");
		argv[n++] = strdupa("-c");
		argv[n++] = shell_cmd;
		argv[n++] = strdupa("sh");
	} else
		for (size_t k = 0; k < a->run.argc && n < 200; k++)
			argv[n++] = strdupa(a->run.argv[k]);
	for (size_t k = 0; k < t->n_args && n < 254; k++)
		argv[n++] = strdupa(t->args[k]);
	argv[n] = NULL;

	base_config(j, &rc);
	rc.layers = layers;
	rc.argv = argv;
	rc.policy = j->p_run;
	rc.bpf = &j->f_run;
	rc.stdin_fd = in;
	rc.stdout_fd = out;
	rc.stderr_fd = err;
	apply_limits(&rc, &t->limits, &run_defaults);
	char step[96];
	snprintf(step, sizeof(step), "test %s", t->name);
	struct incident inc = {.cfg = j->cfg, .step = step, .out = &pt->evidence};
	rc.on_violation = on_violation;
	rc.on_violation_userdata = &inc;
	if (run_sandbox(&rc, &pt->run) < 0) {
		pt->verdict = VERDICT_IE;
		snprintf(pt->message, sizeof(pt->message), "sandbox refused the configuration");
		return;
	}
	bool ok = false, ie = false;
	if (pt->run.status == RUN_OK)
		ok = check_output(j, t, outp, inp, pt, &ie);
	pt->verdict = ie ? VERDICT_IE : verdict_from_run(pt->run.status, ok);
	if (pt->verdict != VERDICT_AC && pt->verdict != VERDICT_WA && !pt->message[0])
		snprintf(pt->message, sizeof(pt->message), "%s", pt->run.message);
	pt->score = pt->verdict == VERDICT_AC ? t->points : 0;
	pt->output_head = read_capped(outp, PIPELINE_OUTPUT_CAP, &pt->output_bytes, NULL);
	pt->output_tail = read_tail(outp, PIPELINE_OUTPUT_CAP);
}

/* Tells whoever waits for the job that it reached @phase. Best effort: a lost line only
 * leaves that phase unstamped, which must not stop the grading. */
static void
progress(const struct pipeline_config *cfg, const char *phase)
{
	char line[32];
	if (cfg->progress_fd <= 0)
		return; /* 0 too: a config that did not set it must not write to stdin */
	int n = snprintf(line, sizeof(line), "phase %s\n", phase);
	(void)util_write_all(cfg->progress_fd, line, (size_t)n);
}

int
pipeline_grade(const struct pipeline_config *cfg, const struct assignment *a, const char *tarball,
	       struct pipeline_result *res)
{
	struct job j = {.cfg = cfg, .a = a, .netns = -1};
	enum verdict v;
	int r;

	*res = (struct pipeline_result){.verdict = VERDICT_IE, .max_score = a->max_score};
	snprintf(j.scratch, sizeof(j.scratch), "%s", cfg->scratch_dir);
	if (load_policy(cfg, "unpack", &j.p_unpack, &j.f_unpack, res->message,
			sizeof(res->message)) < 0 ||
	    load_policy(cfg, "build", &j.p_build, &j.f_build, res->message, sizeof(res->message)) <
		    0 ||
	    load_policy(cfg, "run", &j.p_run, &j.f_run, res->message, sizeof(res->message)) < 0)
		goto out;
	r = run_slot_acquire(cfg->state_dir, &j.slot);
	if (r < 0) {
		snprintf(res->message, sizeof(res->message), "no free sandbox slot: %s",
			 strerror(-r));
		goto out;
	}
	/* Creating and tearing down a network namespace is a third of a run's kernel work;
	 * a job has 3 + 5 or so runs, all of one submission. */
	r = run_netns_create(&j.netns);
	if (r < 0) {
		snprintf(res->message, sizeof(res->message),
			 "cannot create the job's network namespace: %s", strerror(-r));
		goto out;
	}

	v = step_unpack(&j, tarball, res);
	res->unpacked_ms = now_ms();
	progress(cfg, "unpacked");
	if (v == VERDICT_AC)
		v = check_expected_files(&j, res);
	if (v == VERDICT_AC) {
		v = step_build(&j, res);
		res->built_ms = now_ms();
		progress(cfg, "built");
	}
	if (v != VERDICT_AC) {
		res->verdict = v;
		goto out;
	}

	res->tests = calloc(a->n_tests, sizeof(*res->tests));
	if (!res->tests) {
		snprintf(res->message, sizeof(res->message), "out of memory");
		goto out;
	}
	res->n_tests = a->n_tests;
	v = VERDICT_AC;
	bool violation = false;
	for (size_t i = 0; i < a->n_tests; i++) {
		step_test(&j, i, &res->tests[i]);
		res->score += res->tests[i].score;
		if (verdict_severity(res->tests[i].verdict) > verdict_severity(v))
			v = res->tests[i].verdict;
		violation |= res->tests[i].verdict == VERDICT_SV;
	}
	res->verdict = v;
	if (violation && a->on_violation == ASSIGNMENT_VIOLATION_FAIL)
		res->score = 0;
	if (v == VERDICT_AC)
		snprintf(res->message, sizeof(res->message), "all %zu tests passed", a->n_tests);
	else {
		size_t passed = 0;
		for (size_t i = 0; i < a->n_tests; i++)
			passed += res->tests[i].verdict == VERDICT_AC;
		snprintf(res->message, sizeof(res->message), "%zu of %zu tests passed", passed,
			 a->n_tests);
	}
out:
	res->finished_ms = now_ms();
	job_clear(&j);
	return 0;
}

void
pipeline_result_clear(struct pipeline_result *r)
{
	for (size_t i = 0; i < r->n_tests; i++) {
		free(r->tests[i].output_head);
		free(r->tests[i].output_tail);
	}
	free(r->tests);
	free(r->build_output);
	*r = (struct pipeline_result){0};
}

static json_t *
run_to_json(const struct run_result *r)
{
	json_t *j = json_pack(
		"{s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:s, s:s}", "status",
		run_status_to_string(r->status) ? run_status_to_string(r->status) : "XX",
		"exit_code", r->exit_code, "signal", r->signal, "cpu_ms",
		(json_int_t)r->cpu_time_ms, "wall_ms", (json_int_t)r->wall_time_ms, "memory_kb",
		(json_int_t)r->memory_peak_kb, "output_bytes", (json_int_t)r->output_bytes,
		"denied_syscall", r->denied_syscall, "message", r->message);
	if (j && r->pids_limit_hits)
		json_object_set_new(j, "pids_limit_hits",
				    json_integer((json_int_t)r->pids_limit_hits));
	if (j && r->status == RUN_SV)
		run_json_add_denial(j, r);
	return j;
}

static json_t *
evidence_to_json(const struct pipeline_evidence *e)
{
	if (!e->file[0])
		return json_null();
	return json_pack("{s:s, s:s}", "file", e->file, "sha256", e->sha256);
}

static void
evidence_from_json(json_t *j, struct pipeline_evidence *e)
{
	const char *f = NULL, *h = NULL;
	*e = (struct pipeline_evidence){0};
	if (j && json_unpack(j, "{s:s, s:s}", "file", &f, "sha256", &h) == 0) {
		snprintf(e->file, sizeof(e->file), "%s", f);
		snprintf(e->sha256, sizeof(e->sha256), "%s", h);
	}
}

static void
run_from_json(json_t *j, struct run_result *r)
{
	const char *st = NULL, *den = NULL, *msg = NULL;
	json_int_t cpu = 0, wall = 0, mem = 0, ob = 0;
	int ec = 0, sig = 0;

	*r = (struct run_result){.status = RUN_XX};
	json_t *args = json_object_get(j, "denied_args");
	for (size_t i = 0; i < 6 && i < json_array_size(args); i++)
		r->denied_args[i] = (uint64_t)json_integer_value(json_array_get(args, i));
	r->denied_pid = (pid_t)json_integer_value(json_object_get(j, "denied_pid"));
	r->pids_limit_hits = (uint64_t)json_integer_value(json_object_get(j, "pids_limit_hits"));
	r->frozen = json_is_true(json_object_get(j, "frozen"));
	const char *pt = json_string_value(json_object_get(j, "process_tree"));
	snprintf(r->process_tree, sizeof(r->process_tree), "%s", pt ? pt : "");
	if (!j || json_unpack(j, "{s?s, s?i, s?i, s?I, s?I, s?I, s?I, s?s, s?s}", "status", &st,
			      "exit_code", &ec, "signal", &sig, "cpu_ms", &cpu, "wall_ms", &wall,
			      "memory_kb", &mem, "output_bytes", &ob, "denied_syscall", &den,
			      "message", &msg) < 0)
		return;
	enum run_status s = run_status_from_string(st);
	r->status = s < 0 ? RUN_XX : s;
	r->exit_code = ec;
	r->signal = sig;
	r->cpu_time_ms = (uint64_t)cpu;
	r->wall_time_ms = (uint64_t)wall;
	r->memory_peak_kb = (uint64_t)mem;
	r->output_bytes = (uint64_t)ob;
	snprintf(r->denied_syscall, sizeof(r->denied_syscall), "%s", den ? den : "");
	snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "");
}

json_t *
pipeline_result_to_json(const struct pipeline_result *r)
{
	json_t *tests = json_array();
	for (size_t i = 0; i < r->n_tests; i++) {
		const struct pipeline_test *t = &r->tests[i];
		json_t *jt = json_pack("{s:s, s:s, s:f, s:f, s:o, s:s, s:s, s:I, s:s}", "name",
				       t->name, "verdict", verdict_to_string(t->verdict), "score",
				       t->score, "max_score", t->max_score, "run",
				       run_to_json(&t->run), "output_head",
				       t->output_head ? t->output_head : "", "output_tail",
				       t->output_tail ? t->output_tail : "", "output_bytes",
				       (json_int_t)t->output_bytes, "message", t->message);
		json_object_set_new(jt, "evidence", evidence_to_json(&t->evidence));
		json_array_append_new(tests, jt);
	}
	json_t *out = json_pack("{s:s, s:f, s:f, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I}",
				"verdict", verdict_to_string(r->verdict), "score", r->score,
				"max_score", r->max_score, "message", r->message, "build_output",
				r->build_output ? r->build_output : "", "unpack",
				run_to_json(&r->unpack), "build", run_to_json(&r->build), "tests",
				tests, "unpacked_ms", (json_int_t)r->unpacked_ms, "built_ms",
				(json_int_t)r->built_ms, "finished_ms", (json_int_t)r->finished_ms);
	if (out)
		json_object_set_new(out, "build_evidence", evidence_to_json(&r->build_evidence));
	return out;
}

int
pipeline_result_from_json(json_t *j, struct pipeline_result *r)
{
	const char *v = NULL, *msg = NULL, *bo = NULL;
	json_t *tests = NULL, *ju = NULL, *jb = NULL;
	json_int_t um = 0, bm = 0, fm = 0;

	*r = (struct pipeline_result){.verdict = VERDICT_IE};
	if (json_unpack(j, "{s:s, s:F, s:F, s:s, s?s, s?o, s?o, s:o, s?I, s?I, s?I}", "verdict", &v,
			"score", &r->score, "max_score", &r->max_score, "message", &msg,
			"build_output", &bo, "unpack", &ju, "build", &jb, "tests", &tests,
			"unpacked_ms", &um, "built_ms", &bm, "finished_ms", &fm) < 0 ||
	    !json_is_array(tests))
		return -EBADMSG;
	enum verdict vv = verdict_from_string(v);
	if (vv < 0)
		return -EBADMSG;
	r->verdict = vv;
	snprintf(r->message, sizeof(r->message), "%s", msg);
	r->build_output = bo && *bo ? strdup(bo) : NULL;
	run_from_json(ju, &r->unpack);
	run_from_json(jb, &r->build);
	evidence_from_json(json_object_get(j, "build_evidence"), &r->build_evidence);
	r->unpacked_ms = (uint64_t)um;
	r->built_ms = (uint64_t)bm;
	r->finished_ms = (uint64_t)fm;
	r->n_tests = json_array_size(tests);
	r->tests = r->n_tests ? calloc(r->n_tests, sizeof(*r->tests)) : NULL;
	if (r->n_tests && !r->tests)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_tests; i++) {
		struct pipeline_test *t = &r->tests[i];
		const char *name = NULL, *tv = NULL, *oh = NULL, *ot = NULL, *tm = NULL;
		json_t *jr = NULL;
		json_int_t ob = 0;
		if (json_unpack(json_array_get(tests, i),
				"{s:s, s:s, s:F, s:F, s?o, s?s, s?s, s?I, s?s}", "name", &name,
				"verdict", &tv, "score", &t->score, "max_score", &t->max_score,
				"run", &jr, "output_head", &oh, "output_tail", &ot, "output_bytes",
				&ob, "message", &tm) < 0)
			return -EBADMSG;
		enum verdict tvv = verdict_from_string(tv);
		if (tvv < 0)
			return -EBADMSG;
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->verdict = tvv;
		run_from_json(jr, &t->run);
		evidence_from_json(json_object_get(json_array_get(tests, i), "evidence"),
				   &t->evidence);
		t->output_head = oh ? strdup(oh) : NULL;
		t->output_tail = ot && *ot ? strdup(ot) : NULL;
		t->output_bytes = (uint64_t)ob;
		snprintf(t->message, sizeof(t->message), "%s", tm ? tm : "");
	}
	return 0;
}
