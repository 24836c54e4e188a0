/* SPDX-License-Identifier: MIT */
/* `gradebox run`, the full runner (`gradebox-run`): one program in a fresh sandbox, or N
 * (--repeat), the result as JSON. The front door (grader/front.c) hands it every run it does
 * not send to a warm pool itself. Options: grader/run_cli.c. */
#include "bpf_cache.h"
#include "cli.h"
#include "log.h"
#include "policy.h"
#include "pool.h"
#include "run.h"
#include "run_cli.h"
#include "run_json.h"
#include "util.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

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

int
cmd_run(int argc, char **argv)
{
	/* Static: 72 KiB of paths would cost ~18 page faults per run to the stack-clash probes
	 * (docs/performance.md); cmd_run() runs once per process. */
	static struct run_cli cli;
	struct run_config *c = &cli.c;
	_cleanup_(policy_freep) struct policy *policy = NULL;
	int r;

	r = run_cli_parse(argc, argv, &cli);
	if (r == 0 && cli.help) {
		run_cli_usage(stdout);
		return 0;
	}
	if (r < 0 || run_cli_open_streams(&cli) < 0) {
		run_cli_done(&cli);
		return 2;
	}

	/* The --result file was created before anything ran: an internal failure (exit 2) puts an
	 * XX result there saying why (@why), after those of the runs done, never an empty file. */
	json_t *results = cli.result_path ? json_array() : NULL;
	char why[1024] = "";
	uint64_t n_ok = 0, n_done = 0, t0 = util_now_ns();
	int rc = 0;

	/* `nice gradebox run` keeps its meaning on cgroup v2, where a sandbox's tasks compete
	 * with the rest of the host through their group's weight (cold runs; a warm pool's boxes
	 * keep the default). */
	c->cpu_weight = run_cpu_weight_of(0, NULL);

	char pdir[PATH_MAX], key[17] = "";
	struct policy_error perr = {0};
	struct policy_bpf bpf = {0};
	cli_policy_dir(NULL, pdir, sizeof(pdir));
	/* This binary compiles the filters, so the entries are keyed by its own identity. */
	r = bpf_cache_key(cli.policy_arg, pdir, "/proc/self/exe", key);
	if (r == 0 && bpf_cache_read(key, &bpf) == 0)
		c->bpf = &bpf; /* compiled and checked by an earlier run */
	else {
		r = policy_load(cli.policy_arg, pdir, &policy, &perr);
		if (r < 0) {
			if (perr.line)
				snprintf(why, sizeof(why), "policy %s:%u: %s", perr.file, perr.line,
					 perr.message);
			else
				snprintf(why, sizeof(why), "policy '%s': %s",
					 perr.file[0] ? perr.file : cli.policy_arg,
					 perr.message[0] ? perr.message : strerror(-r));
			log_error("%s", why);
			rc = 2;
			goto done;
		}
		c->policy = policy;
		if (key[0] && policy_allows(policy, "sendmsg") && policy_allows(policy, "execve") &&
		    policy_compile_bpf(policy, &bpf) == 0) {
			bpf_cache_write(key, &bpf);
			c->bpf = &bpf;
		}
	}

	/* Runs of one --repeat share a network namespace, one run after the other, as the runs of
	 * one pool slot do (docs/SECURITY.md): creating and tearing one down per run is a
	 * third of a cold run's kernel work. */
	_cleanup_close_ int netns = -1;
	if (cli.repeat > 1) {
		r = run_netns_create(&netns);
		if (r < 0) {
			snprintf(why, sizeof(why), "cannot create the network namespace: %s",
				 strerror(-r));
			log_error("run: %s", why);
			rc = 2;
			goto done;
		}
		c->netns_fd = netns;
	}
	for (uint64_t i = 0; i < cli.repeat; i++) {
		struct run_result res;
		bool warm = false;

		if (cli.in_fd >= 0 && i > 0 && lseek(cli.in_fd, 0, SEEK_SET) < 0) {
			snprintf(why, sizeof(why), "--stdin: cannot rewind it for the next run: %s",
				 strerror(errno));
			log_error("%s", why);
			rc = 2;
			break;
		}
		r = run_one(c, cli.cold, cli.quiet, &res, &warm);
		if (r < 0) {
			snprintf(why, sizeof(why), "could not run the program: %s", strerror(-r));
			rc = 2;
			break;
		}
		n_done++;
		if (results) {
			json_array_append_new(results, run_result_json(&res, warm));
		}
		if (!cli.quiet)
			run_cli_report(&res);
		if (cli.timing)
			run_cli_print_timing(&res, warm);
		if (res.status == RUN_XX) {
			rc = 2; /* an internal failure: later runs would only repeat it */
			break;
		}
		if (res.status == RUN_OK)
			n_ok++;
		else
			rc = 1;
	}
	if (cli.repeat > 1 && !cli.quiet) {
		uint64_t ns = util_now_ns() - t0;
		log_notice("%" PRIu64 " of %" PRIu64 " runs done, %" PRIu64 " OK, in %" PRIu64
			   " ms (%.2f ms per run)",
			   n_done, cli.repeat, n_ok, ns / 1000000,
			   n_done ? (double)ns / 1e6 / (double)n_done : 0.0);
	}
done:
	if (results) {
		if (why[0]) {
			struct run_result xx = {.status = RUN_XX, .exit_code = -1};
			snprintf(xx.message, sizeof(xx.message), "%.*s",
				 (int)sizeof(xx.message) - 1, why);
			json_array_append_new(results, run_result_json(&xx, false));
		}
		/* One object for one run (the contract scripts use); an array for --repeat. */
		json_t *doc = cli.repeat > 1 ? results : json_array_get(results, 0); /* borrowed */
		if (doc && (r = run_json_dump(doc, cli.result_fd)) < 0) {
			log_error_errno(r, "--result: cannot write '%s': %m", cli.result_path);
			rc = 2;
		}
		json_decref(results);
	}
	policy_bpf_clear(&bpf);
	run_cli_done(&cli);
	return rc;
}
