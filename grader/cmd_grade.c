/* SPDX-License-Identifier: MIT */
/* `gradebox grade ASSIGNMENT_DIR TARBALL`: grades one submission right here, without the
 * server or the database (the same pipeline the server's workers run). For staff trying an
 * assignment out, and for tests of the pipeline itself. */
#include "assignment.h"
#include "cli.h"
#include "log.h"
#include "pipeline.h"
#include "run.h"
#include "util.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

void
cli_print_result(FILE *f, const struct pipeline_result *r)
{
	fprintf(f, "verdict %s  score %g/%g  %s\n", verdict_to_string(r->verdict), r->score,
		r->max_score, r->message);
	if (r->n_tests)
		fprintf(f, "  %-20s %-4s %8s %8s %9s %8s  %s\n", "test", "", "points", "cpu ms",
			"wall ms", "mem KiB", "message");
	for (size_t i = 0; i < r->n_tests; i++) {
		const struct pipeline_test *t = &r->tests[i];
		fprintf(f, "  %-20s %-4s %4g/%-3g %8" PRIu64 " %9" PRIu64 " %8" PRIu64 "  %s\n",
			t->name, verdict_to_string(t->verdict), t->score, t->max_score,
			t->run.cpu_time_ms, t->run.wall_time_ms, t->run.memory_peak_kb, t->message);
	}
}

int
cli_grade_one(const char *assignment_dir, const char *tarball, const char *scratch,
	      const char *evidence_dir, int progress_fd, struct pipeline_result *ret, char *err,
	      size_t errsize)
{
	_cleanup_(assignment_freep) struct assignment *a = NULL;
	struct assignment_error ae = {0};
	char pdir[PATH_MAX], self[PATH_MAX];
	int r;

	r = assignment_load(assignment_dir, &a, &ae);
	if (r < 0) {
		snprintf(err, errsize, "assignment %s: %s: %s", ae.file, ae.field, ae.message);
		return r;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		snprintf(err, errsize, "cannot find my own binary: %s", strerror(errno));
		return -errno;
	}
	self[n] = 0;
	/* A long-running server whose binary was rebuilt under it: the unpacker is the new file
	 * at the same path (the old one can only be reached through a mount of the server's
	 * own namespace, which a sandbox cannot bind). */
	char *deleted = strstr(self, " (deleted)");
	if (deleted && deleted[10] == 0)
		*deleted = 0;
	/* A private tmpfs for every layer of this job: size-limited, gone when we exit. */
	r = run_scratch_enter(scratch, 512ULL << 20, 65536);
	if (r < 0) {
		snprintf(err, errsize, "cannot mount the scratch tmpfs on %s: %s", scratch,
			 strerror(-r));
		return r;
	}
	struct pipeline_config cfg = {
		.policy_dir = cli_policy_dir(NULL, pdir, sizeof(pdir)),
		.self_exe = self,
		.scratch_dir = scratch,
		.max_archive_bytes = 64ULL << 20,
		.max_entries = 10000,
		.evidence_dir = evidence_dir,
		.progress_fd = progress_fd,
	};
	return pipeline_grade(&cfg, a, tarball, ret);
}

int
cmd_grade(int argc, char **argv)
{
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	char scratch[64], err[512] = "";
	struct pipeline_result res;

	if (json) {
		argv++;
		argc--;
	}
	if (argc != 3) {
		fputs("usage: gradebox grade [--json] ASSIGNMENT_DIR TARBALL\n", stderr);
		return 2;
	}
	if (geteuid() != 0) {
		log_error("grade: must run as root (it creates sandboxes)");
		return 2;
	}
	(void)run_cleanup_stale(NULL, NULL);
	snprintf(scratch, sizeof(scratch), "/run/gradebox/jobs/cli-%d", (int)getpid());
	int r = cli_grade_one(argv[1], argv[2], scratch, "/run/gradebox/evidence", -1, &res, err,
			      sizeof(err));
	if (r < 0) {
		log_error("grade: %s", err);
		return 2;
	}
	if (json) {
		json_t *j = pipeline_result_to_json(&res);
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	} else
		cli_print_result(stdout, &res);
	int rc = res.verdict == VERDICT_AC ? 0 : res.verdict == VERDICT_IE ? 2 : 1;
	pipeline_result_clear(&res);
	return rc;
}
