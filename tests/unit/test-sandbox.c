/* SPDX-License-Identifier: MIT */
/* Unit tests of the sandbox's pure parts (status classification, verdict mapping, layer path
 * checks) and of the namespace lock-down and capability drop, each in its own forked child. */
#include "caps.h"
#include "mount.h"
#include "ns.h"
#include "policy.h"
#include "run.h"
#include "tap.h"
#include "util.h"
#include "verdict.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static int
t_classify_precedence(void)
{
	struct run_observation o = {.exited = true, .exit_code = 0};
	CHECK_EQ_INT(run_classify(&o), RUN_OK);
	o.exit_code = 3;
	CHECK_EQ_INT(run_classify(&o), RUN_RE);
	o = (struct run_observation){.signaled = true, .signal = SIGSEGV};
	CHECK_EQ_INT(run_classify(&o), RUN_SG);
	o.signal = SIGXCPU;
	CHECK_EQ_INT(run_classify(&o), RUN_TO);
	/* An OOM kill arrives as SIGKILL: the counter decides. */
	o = (struct run_observation){.signaled = true, .signal = SIGKILL, .oom_kills = 1};
	CHECK_EQ_INT(run_classify(&o), RUN_ML);
	o.wall_limit_hit = true;
	CHECK_EQ_INT(run_classify(&o), RUN_ML);
	o = (struct run_observation){
		.signaled = true, .signal = SIGKILL, .wall_limit_hit = true, .cpu_limit_hit = true};
	CHECK_EQ_INT(run_classify(&o), RUN_TO);
	o.output_limit_hit = true;
	CHECK_EQ_INT(run_classify(&o), RUN_OL);
	o.seccomp_denied = true;
	CHECK_EQ_INT(run_classify(&o), RUN_SV);
	o.setup_failed = true;
	CHECK_EQ_INT(run_classify(&o), RUN_XX);
	o = (struct run_observation){0};
	CHECK_EQ_INT(run_classify(&o), RUN_XX);
	return 0;
}

static int
t_status_names(void)
{
	for (int s = 0; s < _RUN_STATUS_MAX; s++)
		CHECK_EQ_INT(run_status_from_string(run_status_to_string(s)), s);
	CHECK_EQ_INT(run_status_from_string("nope"), _RUN_STATUS_INVALID);
	CHECK(run_status_to_string(_RUN_STATUS_MAX) == NULL);
	for (int v = 0; v < _VERDICT_MAX; v++)
		CHECK_EQ_INT(verdict_from_string(verdict_to_string(v)), v);
	return 0;
}

static int
t_verdict_mapping(void)
{
	CHECK_EQ_INT(verdict_from_run(RUN_OK, true), VERDICT_AC);
	CHECK_EQ_INT(verdict_from_run(RUN_OK, false), VERDICT_WA);
	CHECK_EQ_INT(verdict_from_run(RUN_TO, true), VERDICT_TLE);
	CHECK_EQ_INT(verdict_from_run(RUN_WT, true), VERDICT_TLE);
	CHECK_EQ_INT(verdict_from_run(RUN_ML, true), VERDICT_MLE);
	CHECK_EQ_INT(verdict_from_run(RUN_OL, true), VERDICT_OLE);
	CHECK_EQ_INT(verdict_from_run(RUN_SV, true), VERDICT_SV);
	/* Our failure is never the student's. */
	CHECK_EQ_INT(verdict_from_run(RUN_XX, true), VERDICT_IE);
	CHECK_EQ_INT(verdict_from_build(RUN_RE), VERDICT_CE);
	CHECK_EQ_INT(verdict_from_build(RUN_TO), VERDICT_CE);
	CHECK_EQ_INT(verdict_from_build(RUN_SV), VERDICT_SV);
	CHECK_EQ_INT(verdict_from_build(RUN_XX), VERDICT_IE);
	CHECK(verdict_severity(VERDICT_IE) > verdict_severity(VERDICT_SV));
	CHECK(verdict_severity(VERDICT_SV) > verdict_severity(VERDICT_MLE));
	CHECK(verdict_severity(VERDICT_WA) > verdict_severity(VERDICT_AC));
	return 0;
}

static int
t_layer_paths(void)
{
	CHECK_EQ_INT(mount_check_layer_path("/srv/image"), 0);
	CHECK_EQ_INT(mount_check_layer_path("relative"), -EINVAL);
	CHECK_EQ_INT(mount_check_layer_path("/a,upperdir=/etc"), -EINVAL);
	CHECK_EQ_INT(mount_check_layer_path("/a:/b"), -EINVAL);
	CHECK_EQ_INT(mount_check_layer_path(NULL), -EINVAL);
	return 0;
}

static int
t_parsers(void)
{
	uint64_t v;
	CHECK_EQ_INT(util_parse_size("64M", &v), 0);
	CHECK_EQ_INT(v, 64ULL << 20);
	CHECK_EQ_INT(util_parse_size("1GiB", &v), 0);
	CHECK_EQ_INT(v, 1ULL << 30);
	CHECK_EQ_INT(util_parse_size("-1", &v), -EINVAL);
	CHECK_EQ_INT(util_parse_size("12X", &v), -EINVAL);
	CHECK_EQ_INT(util_parse_size("99999999999999999999", &v), -ERANGE);
	CHECK_EQ_INT(util_parse_seconds_ms("0.3", &v), 0);
	CHECK_EQ_INT(v, 300);
	CHECK_EQ_INT(util_parse_seconds_ms("nan", &v), -EINVAL);
	CHECK_EQ_INT(util_parse_u64("12a", &v), -EINVAL);
	return 0;
}

/* Runs @fn in a child that has its own user namespace, mapped by the parent like the
 * supervisor does (slot NS_MAX_SLOTS - 1, which no real sandbox uses while tests run). */
static int
in_userns(int (*fn)(void))
{
	int go[2], ready[2];
	if (geteuid() != 0)
		return tap_skip("needs root to write a uid map");
	if (pipe(go) < 0 || pipe(ready) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(77);
		(void)!write(ready[1], "r", 1);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			_exit(1);
		_exit(fn());
	}
	char c;
	if (read(ready[0], &c, 1) != 1) {
		int st;
		waitpid(pid, &st, 0);
		return WIFEXITED(st) && WEXITSTATUS(st) == 77 ? tap_skip("no user namespaces") : 1;
	}
	int r = ns_write_id_maps(pid, NS_MAX_SLOTS - 1);
	(void)!write(go[1], "g", 1);
	int st;
	waitpid(pid, &st, 0);
	if (r < 0) {
		printf("# ns_write_id_maps: %s\n", strerror(-r));
		return 1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int
lockdown_child(void)
{
	/* Before the lock-down a nested user namespace works, after it none can be made. */
	pid_t p = fork();
	if (p == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ_INT(ns_lock_down(), 0);
	CHECK(unshare(CLONE_NEWUSER) < 0);
	CHECK_EQ_INT(errno, ENOSPC);
	CHECK(unshare(CLONE_NEWNS) < 0);
	return 0;
}

static int
t_lockdown_blocks_nested_userns(void)
{
	return in_userns(lockdown_child);
}

static int
caps_child(void)
{
	char buf[4096];
	CHECK_EQ_INT(caps_drop_all(NS_BOX_UID, NS_BOX_UID), 0);
	CHECK(util_read_file_at(AT_FDCWD, "/proc/self/status", buf, sizeof(buf)) > 0);
	static const char *const want[] = {"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000",
					   "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000",
					   "CapAmb:\t0000000000000000", "NoNewPrivs:\t1"};
	for (size_t i = 0; i < ELEMENTSOF(want); i++)
		if (!strstr(buf, want[i])) {
			printf("# missing '%s'\n", want[i]);
			return 1;
		}
	CHECK_EQ_INT(getuid(), NS_BOX_UID);
	/* Back to root inside is impossible now. */
	CHECK(setresuid(0, 0, 0) < 0);
	return 0;
}

static int
t_caps_drop_all(void)
{
	return in_userns(caps_child);
}

static int
t_forbid_exec(void)
{
	pid_t p = fork();
	if (p == 0) {
		static char name[] = "true";
		char *argv[] = {name, NULL};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || policy_forbid_exec_now() < 0)
			_exit(2);
		/* Everything else still works... */
		if (getpid() <= 0)
			_exit(3);
		/* ...but this kills. */
		execv("/bin/true", argv);
		_exit(4);
	}
	int st;
	CHECK(waitpid(p, &st, 0) == p);
	if (WIFEXITED(st))
		printf("# exited %d\n", WEXITSTATUS(st));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	return 0;
}

TAP_MAIN(TAP_TEST(t_forbid_exec), TAP_TEST(t_classify_precedence), TAP_TEST(t_status_names),
	 TAP_TEST(t_verdict_mapping), TAP_TEST(t_layer_paths), TAP_TEST(t_parsers),
	 TAP_TEST(t_lockdown_blocks_nested_userns), TAP_TEST(t_caps_drop_all))
