/* SPDX-License-Identifier: MIT */
/* Unit tests for sandbox/policy.c: the parser's error paths, includes, the lint, compiling every
 * policy in policies/, the compiled BPF (evaluated, not just listed), and a real kernel test
 * that a denied call notifies the supervisor while allowed and errno rules behave. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "policy.h"
#include "tap.h"
#include "util.h"

/* Where the checkout is: prove runs from it; GRADEBOX_SRC overrides. */
static const char *
policy_dir(void)
{
	static char buf[4096];
	const char *src = getenv("GRADEBOX_SRC");

	snprintf(buf, sizeof(buf), "%s/policies", src && *src ? src : ".");
	return buf;
}

static int
parse(const char *text, struct policy **ret, struct policy_error *err)
{
	memset(err, 0, sizeof(*err));
	return policy_parse(text, strlen(text), "t.policy", NULL, ret, err);
}

static int
t_parse_good(void)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_error err;
	const char *text = "# a comment\n"
			   "\n"
			   "   \t# indented comment\n"
			   "allow read write\t exit_group   # trailing comment\n"
			   "allow socket if arg0 == 1\n"
			   "allow socket if arg0 == 0xa and arg1 & 0xf == 1\n"
			   "allow clone if arg0 & 0x7E020080 == 0\n"
			   "allow mmap if arg2 <= 7 and arg3 != 0 and arg4 >= 0 and arg5 < 0x1000\n"
			   "allow lseek if arg2 > 0\n"
			   "allow ioctl if arg1 == 0x5401\n"
			   "allow ioctl if arg1 == 21531\n" /* FIONREAD in decimal */
			   "errno ENOSYS clone3\n"
			   "errno EPERM ptrace\n" /* errno never runs the call: fine */
			   "errno EACCES openat if arg2 & 0x3 == 1\n"
			   "allow personality if arg0 == 0xffffffff\n"
			   "allow read"; /* no final newline, and a duplicate: OR'ed */

	CHECK_EQ_INT(parse(text, &p, &err), 0);
	CHECK_STREQ(policy_name(p), "t");
	CHECK_EQ_INT(policy_n_allowed(p), 12);
	CHECK(policy_allows(p, "read"));
	CHECK(policy_allows(p, "clone"));
	CHECK(policy_allows(p, "socket"));
	CHECK(!policy_allows(p, "clone3"));
	CHECK(!policy_allows(p, "ptrace"));
	CHECK(!policy_allows(p, "openat"));
	CHECK(!policy_allows(p, "no_such_call"));
	CHECK_EQ_INT(policy_lint(p, &err), 0);

	/* Empty text and comment-only text are valid (they allow nothing). */
	p = policy_free(p);
	CHECK_EQ_INT(parse("", &p, &err), 0);
	CHECK_EQ_INT(policy_n_allowed(p), 0);
	p = policy_free(p);
	CHECK_EQ_INT(parse("# nothing\n\n", &p, &err), 0);
	return 0;
}

struct bad_case {
	const char *text;
	unsigned line;
	const char *message; /* substring of the expected message */
};

static const struct bad_case bad_cases[] = {
	{"allow read\nallow frobnicate\n", 2, "unknown syscall 'frobnicate'"},
	{"allow READ\n", 1, "unknown syscall 'READ'"},
	{"allow socketcall\n", 1, "does not exist on x86_64"},
	{"allow\n", 1, "expected a syscall name after 'allow'"},
	{"allow if arg0 == 1\n", 1, "expected a syscall name"},
	{"deny read\n", 1, "unknown keyword 'deny'"},
	{"Allow read\n", 1, "unknown keyword 'Allow'"},
	{"errno EFOO read\n", 1, "unknown errno name 'EFOO'"},
	{"errno 38 read\n", 1, "unknown errno name '38'"},
	{"errno\n", 1, "expected an errno name"},
	{"errno ENOSYS\n", 1, "expected a syscall name after 'ENOSYS'"},
	{"allow read if\n", 1, "expected a condition"},
	{"allow read if arg6 == 1\n", 1, "expected 'arg0' to 'arg5', got 'arg6'"},
	{"allow read if a0 == 1\n", 1, "expected 'arg0' to 'arg5'"},
	{"allow read if arg0\n", 1, "expected an operator after 'arg0'"},
	{"allow read if arg0 = 1\n", 1, "unknown operator '='"},
	{"allow read if arg0==1\n", 1, "got 'arg0==1'"},
	{"allow read if arg0 ==\n", 1, "expected a value after '=='"},
	{"allow read if arg0 == 12abc\n", 1, "bad value '12abc': not a number"},
	{"allow read if arg0 == 0x\n", 1, "bad value '0x': not a number"},
	{"allow read if arg0 == 0xg\n", 1, "not a number"},
	{"allow read if arg0 == -1\n", 1, "negative numbers are not allowed"},
	{"allow read if arg0 == 010\n", 1, "leading zero"},
	{"allow read if arg0 == 0x10000000000000000\n", 1, "out of range"},
	{"allow read if arg0 == 18446744073709551616\n", 1, "out of range"},
	{"allow read if arg0 & 0xff\n", 1, "expected '==' after 'arg0 & MASK'"},
	{"allow read if arg0 & 0xff != 1\n", 1, "expected '=='"},
	{"allow read if arg0 &\n", 1, "expected a mask after '&'"},
	{"allow read if arg0 & zz == 1\n", 1, "bad mask 'zz'"},
	{"allow read if arg0 & 0 == 0\n", 1, "mask 0"},
	{"allow read if arg0 & 0xf == 0x10\n", 1, "bits outside mask"},
	{"allow read if arg0 == 1 arg1 == 2\n", 1, "trailing garbage 'arg1'"},
	{"allow read if arg0 == 1 and\n", 1, "expected a condition after 'and'"},
	{"allow read if arg0 == 1 or arg0 == 2\n", 1, "trailing garbage 'or'"},
	{"allow read if arg0 == 1 and arg0 == 2\n", 1, "arg0 is compared twice"},
	{"include\n", 1, "expected a policy name after 'include'"},
	{"include base extra\n", 1, "trailing garbage 'extra'"},
	{"include ../etc/passwd\n", 1, "bad include name"},
	{"include base\n", 1, "no policy directory"},
	{"allow read\r\n", 1, "CRLF"},
	{"\n\nallow read\x01\n", 3, "control character 0x01"},
	{"allow r\xc3\xa9\x61\x64\n", 1, "non-ASCII byte 0xc3"},
	{"# caf\xc3\xa9 is fine in a comment\nallow read\nallow\xa0write\n", 3, "non-ASCII"},
	/* The lint. */
	{"allow read\nallow ptrace\n", 2, "'ptrace' is never allowed: reads and writes"},
	{"allow read mount write\n", 1, "'mount' is never allowed"},
	{"allow bpf if arg0 == 0\n", 1, "'bpf' is never allowed"},
	{"allow clone3\n", 1, "'clone3' is never allowed: its flags are in memory"},
	{"allow clone\n", 1, "'clone' may only be allowed if arg0 masks out every CLONE_NEW*"},
	{"allow clone if arg1 == 0\n", 1, "'clone' may only be allowed"},
	{"allow clone if arg0 & 0x20000 == 0\n", 1, "'clone' may only be allowed"},
	{"allow clone if arg0 & 0x7E020000 == 0\n", 1, "'clone' may only be allowed"}, /* no 0x80 */
	{"allow clone if arg0 & 0x7E020080 == 0x10000000\n", 1, "'clone' may only be allowed"},
	{"allow clone if arg0 == 0x10000000\n", 1, "'clone' may only be allowed"},
	{"allow clone if arg0 != 0x10000000\n", 1, "'clone' may only be allowed"},
	{"allow clone if arg0 < 0x20000\n", 1, "'clone' may only be allowed"},
	{"allow clone if arg0 & 0x7E020080 == 0\nallow clone\n", 2, "'clone' may only be"},
	{"allow ioctl\n", 1, "'ioctl' may only be allowed with 'arg1 == REQUEST'"},
	{"allow ioctl if arg1 == 0x5412\n", 1, "'ioctl' may only be allowed"}, /* TIOCSTI */
	{"allow ioctl if arg1 == 0x541C\n", 1, "'ioctl' may only be allowed"}, /* TIOCLINUX */
	{"allow ioctl if arg1 != 0x5412\n", 1, "'ioctl' may only be allowed"},
	{"allow ioctl if arg1 & 0xffff == 0x5401\n", 1, "'ioctl' may only be allowed"},
	{"allow ioctl if arg0 == 0x5401\n", 1, "'ioctl' may only be allowed"},
	{"allow socket\n", 1, "'socket' may only be allowed"},
	{"allow socket if arg0 == 16\n", 1, "'socket' may only be allowed"}, /* netlink */
	{"allow socket if arg0 == 17\n", 1, "'socket' may only be allowed"}, /* packet */
	{"allow socket if arg0 != 16\n", 1, "'socket' may only be allowed"},
	{"allow personality\n", 1, "'personality' may only be allowed"},
	{"allow personality if arg0 == 0x100000\n", 1, "'personality' may only"},
	{"allow read\nerrno EPERM read\n", 2, "conflicting actions for 'read' (see t.policy:1)"},
	{"errno EPERM read\nerrno EACCES read\n", 2, "conflicting actions"},
	{"errno EPERM openat\nallow openat if arg0 == 1\n", 2, "conflicting actions"},
	/* libseccomp 2.5.4 never returns from these (found by fuzz-policy). */
	{"allow mmap if arg3 != 0 and arg4 >= 0\nallow mmap if arg3 != 0 and arg4 == 0\n", 2,
	 "'mmap' has another rule (t.policy:1): a rule using != < <= > >= must be the only"},
	{"allow mmap if arg0 == 1\nallow mmap if arg0 < 5\n", 2, "must be the only rule"},
	{"allow mmap\nallow mmap if arg0 > 5\n", 2, "must be the only rule"},
};

static int
t_parse_errors(void)
{
	for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
		_cleanup_(policy_freep) struct policy *p = NULL;
		struct policy_error err;
		const struct bad_case *c = &bad_cases[i];
		int r = parse(c->text, &p, &err);

		if (r != -EINVAL || p || strcmp(err.file, "t.policy") != 0 || err.line != c->line ||
		    !strstr(err.message, c->message)) {
			/* The text may span lines: print it as one TAP comment. */
			printf("# case %zu: got %d, %s:%u: '%s'; want line %u, '%s'\n", i, r,
			       err.file, err.line, err.message, c->line, c->message);
			return 1;
		}
	}
	return 0;
}

static int
t_parse_limits(void)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_free_ char *big = NULL;
	struct policy_error err;
	size_t n = 0;

	/* A line of exactly 1024 bytes is fine, 1025 is too long. */
	big = malloc(8192);
	CHECK(big);
	n = (size_t)sprintf(big, "allow read");
	while (n < 1024)
		big[n++] = ' ';
	big[n] = '\0';
	CHECK_EQ_INT(parse(big, &p, &err), 0);
	p = policy_free(p);
	strcpy(big + n, " \nallow write\n");
	CHECK_EQ_INT(parse(big, &p, &err), -EINVAL);
	CHECK_EQ_INT(err.line, 1);
	CHECK(strstr(err.message, "line too long"));

	/* A NUL byte inside the buffer is a control character, not an end of text. */
	static const char nul[] = "allow read\nallow write\0 ptrace\n";
	CHECK_EQ_INT(policy_parse(nul, sizeof(nul) - 1, "n.policy", NULL, &p, &err), -EINVAL);
	CHECK_EQ_INT(err.line, 2);
	CHECK(strstr(err.message, "control character 0x00"));

	/* Too many rules: 2048 is the cap; each "allow read" line adds one. */
	free(big);
	big = malloc(3000 * 11 + 1);
	CHECK(big);
	big[0] = '\0';
	for (int i = 0; i < 3000; i++)
		strcat(big + (size_t)i * 11, "allow read\n");
	CHECK_EQ_INT(parse(big, &p, &err), -EINVAL);
	CHECK_EQ_INT(err.line, 2049);
	CHECK(strstr(err.message, "too many rules"));

	/* NULL filename is shown as "(buffer)". */
	CHECK_EQ_INT(policy_parse("bogus\n", 6, NULL, NULL, &p, &err), -EINVAL);
	CHECK_STREQ(err.file, "(buffer)");
	CHECK(policy_name(NULL) == NULL);
	return 0;
}

/* Writes @text to @dir/@name.policy. */
static int
put(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.policy", dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, text, strlen(text));
}

static int
t_includes(void)
{
	char dir[] = "/tmp/test-policy-XXXXXX";
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_error err;
	int r = 1;

	if (!mkdtemp(dir))
		return 1;
	if (put(dir, "a", "allow read\ninclude b\n") < 0 ||
	    put(dir, "b", "# b\n\ninclude c\nallow write\n") < 0 ||
	    put(dir, "c", "allow close\ninclude a\n") < 0 ||
	    put(dir, "self", "include self\n") < 0 ||
	    put(dir, "top", "include mid1\ninclude mid2\nallow exit\n") < 0 ||
	    put(dir, "mid1", "include leaf\nallow read\n") < 0 ||
	    put(dir, "mid2", "include leaf\nallow write\n") < 0 ||
	    put(dir, "leaf", "allow close\n") < 0 ||
	    put(dir, "broken", "allow read\ninclude sub\n") < 0 ||
	    put(dir, "sub", "allow read\n\nallow nosuchcall\n") < 0 ||
	    put(dir, "missing", "include nothere\n") < 0 ||
	    put(dir, "lint", "include clone\n") < 0 || put(dir, "clone", "allow clone\n") < 0)
		goto out;
	for (int i = 0; i < 10; i++) {
		char name[16], text[32];
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(text, sizeof(text), "include d%d\nallow read\n", i + 1);
		if (put(dir, name, text) < 0)
			goto out;
	}
	if (put(dir, "d10", "allow read\n") < 0)
		goto out;

	/* A cycle is reported where it closes, with the whole chain. */
	if (policy_load("a", dir, &p, &err) != -EINVAL || strcmp(err.file, "c.policy") != 0 ||
	    err.line != 2 || strcmp(err.message, "include cycle: a -> b -> c -> a") != 0) {
		printf("# cycle: %s:%u: %s\n", err.file, err.line, err.message);
		goto out;
	}
	if (policy_load("self", dir, &p, &err) != -EINVAL || strcmp(err.file, "self.policy") != 0 ||
	    err.line != 1 || !strstr(err.message, "include cycle: self -> self")) {
		printf("# self: %s:%u: %s\n", err.file, err.line, err.message);
		goto out;
	}
	/* A diamond is not a cycle; leaf is read once. */
	if (policy_load("top", dir, &p, &err) != 0) {
		printf("# diamond: %s:%u: %s\n", err.file, err.line, err.message);
		goto out;
	}
	if (policy_n_allowed(p) != 4 || !policy_allows(p, "close") || strcmp(policy_name(p), "top"))
		goto out;
	p = policy_free(p);
	/* Depth: d0 .. d7 nest 8 files; the include of d8 is one too deep. */
	if (policy_load("d0", dir, &p, &err) != -EINVAL || strcmp(err.file, "d7.policy") != 0 ||
	    err.line != 1 || !strstr(err.message, "nested too deeply")) {
		printf("# depth: %s:%u: %s\n", err.file, err.line, err.message);
		goto out;
	}
	if (policy_load("d3", dir, &p, &err) != 0) /* 8 levels: fine */
		goto out;
	p = policy_free(p);
	/* An error in an included file names that file and its line. */
	if (policy_load("broken", dir, &p, &err) != -EINVAL ||
	    strcmp(err.file, "sub.policy") != 0 || err.line != 3 ||
	    !strstr(err.message, "unknown syscall 'nosuchcall'")) {
		printf("# broken: %s:%u: %s\n", err.file, err.line, err.message);
		goto out;
	}
	if (policy_load("lint", dir, &p, &err) != -EINVAL ||
	    strcmp(err.file, "clone.policy") != 0 || err.line != 1)
		goto out;
	/* A missing include: -ENOENT, at the include line. */
	if (policy_load("missing", dir, &p, &err) != -ENOENT ||
	    strcmp(err.file, "missing.policy") != 0 || err.line != 1 ||
	    !strstr(err.message, "include 'nothere'")) {
		printf("# missing: %s:%u: %s\n", err.file, err.line, err.message);
		goto out;
	}
	/* A missing top-level policy: -ENOENT, line 0. */
	if (policy_load("nope", dir, &p, &err) != -ENOENT || strcmp(err.file, "nope.policy") != 0 ||
	    err.line != 0)
		goto out;
	/* By path. */
	char path[512];
	snprintf(path, sizeof(path), "%s/leaf.policy", dir);
	if (policy_load(path, NULL, &p, &err) != 0 || strcmp(policy_name(p), "leaf") != 0)
		goto out;
	p = policy_free(p);
	if (policy_load("../x", dir, &p, &err) != -ENOENT && err.line != 0)
		goto out;
	if (policy_load("bad name", dir, &p, &err) != -EINVAL)
		goto out;
	r = 0;
out:
	(void)util_rm_rf(dir);
	return r;
}

static const char *const required_never[] = {
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"unshare",
	"setns",
	"keyctl",
	"add_key",
	"request_key",
	"bpf",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"perf_event_open",
	"userfaultfd",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"open_by_handle_at",
	"name_to_handle_at",
	"swapon",
	"swapoff",
	"reboot",
	"acct",
	"quotactl",
	"syslog",
	"fanotify_init",
	"lookup_dcookie",
	"move_mount",
	"open_tree",
	"fsopen",
	"fsmount",
	"fspick",
	"mount_setattr",
	"clone3",
	"iopl",
	"ioperm",
	"settimeofday",
	"clock_settime",
	"adjtimex",
	"sethostname",
	"setdomainname",
	"vhangup",
	"nfsservctl",
};

static int
t_never_allow(void)
{
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(required_never); i++) {
		if (!policy_never_allow(required_never[i])) {
			printf("# %s is not on the never-allow list\n", required_never[i]);
			return 1;
		}
	}
	CHECK(!policy_never_allow("read"));
	CHECK(!policy_never_allow("clone"));
	CHECK(!policy_never_allow(NULL));
	/* Every entry is a real x86_64 call, and allowing it is refused naming it. */
	for (const char *name; (name = policy_never_allow_name(n)); n++) {
		_cleanup_(policy_freep) struct policy *p = NULL;
		struct policy_error err;
		char text[128], want[96];

		CHECK(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name) >= 0);
		snprintf(text, sizeof(text), "# x\nallow read %s\n", name);
		snprintf(want, sizeof(want), "'%s' is never allowed: ", name);
		CHECK_EQ_INT(parse(text, &p, &err), -EINVAL);
		CHECK_EQ_INT(err.line, 2);
		if (!strstr(err.message, want)) {
			printf("# %s\n", err.message);
			return 1;
		}
		snprintf(text, sizeof(text), "errno EPERM %s\n", name);
		CHECK_EQ_INT(parse(text, &p, &err), 0);
		CHECK(!policy_allows(p, name));
	}
	CHECK(n >= ELEMENTSOF(required_never));
	return 0;
}

static int
check_attrs(scmp_filter_ctx ctx)
{
	uint32_t v = 0;

	CHECK_EQ_INT(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_DEFAULT, &v), 0);
	CHECK_EQ_INT(v, SCMP_ACT_NOTIFY);
	CHECK_EQ_INT(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_BADARCH, &v), 0);
	CHECK_EQ_INT(v, SCMP_ACT_KILL_PROCESS);
	CHECK_EQ_INT(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_NNP, &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(seccomp_attr_get(ctx, SCMP_FLTATR_API_SYSRAWRC, &v), 0);
	CHECK_EQ_INT(v, 1);
	CHECK(seccomp_arch_exist(ctx, SCMP_ARCH_X86_64) == 0);
	CHECK(seccomp_arch_exist(ctx, SCMP_ARCH_X86) == 0);
	CHECK(seccomp_arch_exist(ctx, SCMP_ARCH_X32) == 0);
	return 0;
}

static void
releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Loads and compiles policies/@name; on failure prints the policy error. */
static int
load_compile(const char *name, struct policy **ret_p, scmp_filter_ctx *ret_ctx)
{
	struct policy_error err = {0};
	struct policy *p = NULL;
	int r;

	r = policy_load(name, policy_dir(), &p, &err);
	if (r < 0) {
		printf("# %s: %s:%u: %s (%d)\n", name, err.file, err.line, err.message, r);
		return r;
	}
	r = policy_compile(p, ret_ctx);
	if (r < 0) {
		printf("# %s: compile: %s\n", name, strerror(-r));
		policy_free(p);
		return r;
	}
	if (ret_p)
		*ret_p = p;
	else
		policy_free(p);
	return 0;
}

static void
closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

static int
t_compile_all(void)
{
	_cleanup_(closedirp) DIR *d = opendir(policy_dir());
	struct dirent *de;
	int n = 0;

	if (!d) {
		printf("# cannot open %s (set GRADEBOX_SRC): %m\n", policy_dir());
		return 1;
	}
	while ((de = readdir(d))) {
		_cleanup_(policy_freep) struct policy *p = NULL;
		_cleanup_(releasep) scmp_filter_ctx ctx = NULL;
		struct policy_error err;
		char name[256];
		size_t len = strlen(de->d_name);

		if (len <= 7 || strcmp(de->d_name + len - 7, ".policy") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 7), de->d_name);
		printf("# %s\n", name);
		CHECK_EQ_INT(load_compile(name, &p, &ctx), 0);
		CHECK_STREQ(policy_name(p), name);
		CHECK(policy_n_allowed(p) > 0);
		CHECK_EQ_INT(policy_lint(p, &err), 0);
		CHECK_EQ_INT(check_attrs(ctx), 0);
		for (size_t i = 0; policy_never_allow_name(i); i++)
			CHECK(!policy_allows(p, policy_never_allow_name(i)));
		n++;
	}
	CHECK(n >= 4);
	return 0;
}

/* A policy the kernel would refuse for its size is refused by policy_compile() already. */
static int
t_compile_too_big(void)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_free_ char *text = malloc(800 * 96);
	struct policy_error err;
	scmp_filter_ctx ctx = NULL;
	size_t off = 0;

	CHECK(text);
	for (unsigned i = 0; i < 800; i++)
		off += (size_t)sprintf(
			text + off,
			"allow read if arg0 == %u and arg1 == %u and arg2 == 0x%x00000000\n", i, i,
			i + 1);
	CHECK_EQ_INT(parse(text, &p, &err), 0);
	CHECK_EQ_INT(policy_compile(p, &ctx), -E2BIG);
	CHECK(ctx == NULL);
	return 0;
}

/* What the four shipped policies must and must not allow. */
static int
t_policy_contents(void)
{
	static const struct {
		const char *policy, *syscall;
		bool allowed;
	} want[] = {
		{"base", "read", true},		{"base", "exit_group", true},
		{"base", "execve", true},	{"base", "clone", false},
		{"base", "socket", false},	{"run", "execve", true},
		{"run", "clone", true},		{"run", "futex", true},
		{"run", "getrandom", true},	{"run", "newfstatat", true},
		{"run", "getdents64", true},	{"run", "ioctl", true},
		{"run", "socket", false},	{"run", "vfork", false},
		{"run", "mknod", false},	{"build", "vfork", true},
		{"build", "execve", true},	{"build", "wait4", true},
		{"build", "pipe2", true},	{"build", "dup2", true},
		{"build", "rename", true},	{"build", "unlink", true},
		{"build", "chmod", true},	{"build", "umask", true},
		{"build", "socket", false},	{"unpack", "openat", true},
		{"unpack", "mkdirat", true},	{"unpack", "write", true},
		{"unpack", "fchmod", true},	{"unpack", "vfork", false},
		{"unpack", "clone", false},	{"unpack", "vfork", false},
		{"unpack", "symlinkat", false}, {"unpack", "linkat", false},
		{"unpack", "mknodat", false},
	};

	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		_cleanup_(policy_freep) struct policy *p = NULL;
		struct policy_error err;

		CHECK_EQ_INT(policy_load(want[i].policy, policy_dir(), &p, &err), 0);
		if (policy_allows(p, want[i].syscall) != want[i].allowed) {
			printf("# %s: %s should%s be allowed\n", want[i].policy, want[i].syscall,
			       want[i].allowed ? "" : " not");
			return 1;
		}
	}
	return 0;
}

/* The textual view: in the pseudo filter code of every compiled policy, the i386 and x32
 * sections contain no ALLOW at all (they hold no rules, only the default). */
static int
t_compat_pfc(void)
{
	static const char *const names[] = {"base", "run", "build", "unpack"};

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		_cleanup_(releasep) scmp_filter_ctx ctx = NULL;
		_cleanup_fclose_ FILE *f = NULL;
		char line[512];
		int section = 0; /* 0 none, 1 x86_64, 2 compat */
		int n_native_allow = 0, n_compat_sections = 0;

		CHECK_EQ_INT(load_compile(names[i], NULL, &ctx), 0);
		f = tmpfile();
		CHECK(f);
		CHECK_EQ_INT(seccomp_export_pfc(ctx, fileno(f)), 0);
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			if (strstr(line, "# filter for arch x86_64 ")) {
				section = 1;
			} else if (strstr(line, "# filter for arch x86 ") ||
				   strstr(line, "# filter for arch x32 ")) {
				section = 2;
				n_compat_sections++;
			} else if (strstr(line, "# invalid architecture action")) {
				section = 0;
			} else if (strstr(line, "ALLOW")) {
				if (section == 2) {
					printf("# %s: compat arch allows: %s", names[i], line);
					return 1;
				}
				CHECK_EQ_INT(section, 1);
				n_native_allow++;
			}
		}
		CHECK_EQ_INT(n_compat_sections, 2);
		CHECK(n_native_allow > 0);
	}
	return 0;
}

#define X32_BIT 0x40000000
#define CALL(a, n, ...)                                         \
	(struct policy_call)                                    \
	{                                                       \
		.arch = (a), .nr = (n), .args = { __VA_ARGS__ } \
	}

/* The BPF view, evaluated instruction by instruction: what the kernel will decide. */
static int
t_bpf_eval(void)
{
	static const char *const names[] = {"base", "run", "build", "unpack"};

	for (size_t pi = 0; pi < ELEMENTSOF(names); pi++) {
		_cleanup_(releasep) scmp_filter_ctx ctx = NULL;
		_cleanup_free_ struct policy_call *calls = NULL;
		_cleanup_free_ uint32_t *act = NULL;
		size_t n = 0, max = 4096;

		printf("# %s\n", names[pi]);
		CHECK_EQ_INT(load_compile(names[pi], NULL, &ctx), 0);
		calls = calloc(max, sizeof(*calls));
		act = calloc(max, sizeof(*act));
		CHECK(calls && act);
		/* Every i386 and x32 call number, with a few argument patterns: NOTIFY. */
		for (int nr = 0; nr < 600; nr++) {
			calls[n++] = CALL(AUDIT_ARCH_I386, nr, 0);
			calls[n++] = CALL(AUDIT_ARCH_I386, nr, 0x5401, 0x5401, 1);
			calls[n++] = CALL(AUDIT_ARCH_X86_64, nr | X32_BIT, 0);
			calls[n++] = CALL(AUDIT_ARCH_X86_64, nr | X32_BIT, 1, 0x5401);
		}
		size_t n_compat = n;
		/* Never-allowed calls: not ALLOW whatever the arguments. */
		size_t first_never = n;
		for (size_t i = 0; policy_never_allow_name(i); i++) {
			int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64,
								   policy_never_allow_name(i));
			calls[n++] = CALL(AUDIT_ARCH_X86_64, nr, 0);
			calls[n++] = CALL(AUDIT_ARCH_X86_64, nr, 1, 0x5401, 2, 3, 4, 5);
		}
		size_t end_never = n;
		/* Restricted calls with dangerous arguments. */
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_clone, CLONE_NEWUSER | SIGCHLD);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_clone, CLONE_NEWNS);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_clone, CLONE_NEWNET | CLONE_VM);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_clone, 0x80 /* CLONE_NEWTIME */);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_ioctl, 0, 0x5412 /* TIOCSTI */);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_ioctl, 0, 0x541C /* TIOCLINUX */);
		/* The kernel truncates the request to 32 bits: high bits must not sneak through. */
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_ioctl, 0, 0x100005412ULL);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_ioctl, 0, 0x100005401ULL);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_socket, 16 /* AF_NETLINK */);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_socket, 17 /* AF_PACKET */);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_socket, 0x100000001ULL);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_prlimit64, 1 /* another pid */);
		size_t end_denied = n;
		/* Other architectures are killed. */
		calls[n++] = CALL(AUDIT_ARCH_AARCH64, SYS_read, 0);
		calls[n++] = CALL(0x12345678, 0, 0);
		size_t end_badarch = n;
		/* Allowed in every policy. */
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_read, 0);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_exit_group, 0);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_ioctl, 1, 0x5401);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_prlimit64, 0);
		size_t end_allowed = n;
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_clone3, 0, 88);
		size_t end_enosys = n;
		/* Threads, in the policies that allow clone. */
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_clone,
				  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
					  CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
					  CLONE_CHILD_CLEARTID);
		calls[n++] = CALL(AUDIT_ARCH_X86_64, SYS_clone,
				  CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD);
		CHECK(n <= max);

		CHECK_EQ_INT(policy_filter_eval(ctx, calls, n, act), 0);
		for (size_t i = 0; i < n; i++) {
			uint32_t want;
			bool clone_ok =
				strcmp(names[pi], "run") == 0 || strcmp(names[pi], "build") == 0;

			if (i < n_compat || (i >= end_never && i < end_denied))
				want = SCMP_ACT_NOTIFY;
			else if (i >= first_never && i < end_never)
				want = SCMP_ACT_NOTIFY; /* the shipped policies have no errno on them */
			else if (i < end_badarch)
				want = SCMP_ACT_KILL_PROCESS;
			else if (i < end_allowed)
				want = SCMP_ACT_ALLOW;
			else if (i < end_enosys)
				want = SCMP_ACT_ERRNO(ENOSYS);
			else
				want = clone_ok ? SCMP_ACT_ALLOW : SCMP_ACT_NOTIFY;
			if (i >= first_never && i < end_never && calls[i].nr == SYS_clone3)
				want = SCMP_ACT_ERRNO(ENOSYS);
			if (act[i] != want) {
				printf("# call %zu (arch 0x%x nr 0x%x a0 0x%llx a1 0x%llx): action "
				       "0x%x, "
				       "want 0x%x\n",
				       i, calls[i].arch, (unsigned)calls[i].nr,
				       (unsigned long long)calls[i].args[0],
				       (unsigned long long)calls[i].args[1], act[i], want);
				return 1;
			}
		}
	}
	return 0;
}

static int
n_insns(scmp_filter_ctx ctx)
{
	_cleanup_fclose_ FILE *f = tmpfile();

	if (!f || seccomp_export_bpf(ctx, fileno(f)) < 0 || fseek(f, 0, SEEK_END) < 0)
		return -1;
	return (int)(ftell(f) / 8); /* struct sock_filter */
}

/* Runs every call in @calls through both layouts of @p: the tree must decide exactly as the
 * chain, libseccomp's default, does. */
static int
same_as_chain(const struct policy *p, const char *name, const struct policy_call *calls, size_t n)
{
	_cleanup_(releasep) scmp_filter_ctx tree = NULL, chain = NULL;
	_cleanup_free_ uint32_t *a = calloc(n, sizeof(*a)), *b = calloc(n, sizeof(*b));

	CHECK(a && b);
	CHECK_EQ_INT(policy_compile_layout(p, POLICY_LAYOUT_TREE, &tree), 0);
	CHECK_EQ_INT(policy_compile_layout(p, POLICY_LAYOUT_CHAIN, &chain), 0);
	/* The two programs differ (else this test compares a layout with itself). */
	int n_tree = n_insns(tree), n_chain = n_insns(chain);
	CHECK(n_tree > 0 && n_chain > 0);
	if (policy_n_allowed(p) >= 8 && n_tree == n_chain) {
		printf("# %s: the tree has as many instructions as the chain (%d)\n", name, n_tree);
		return 1;
	}
	CHECK_EQ_INT(policy_filter_eval(tree, calls, n, a), 0);
	CHECK_EQ_INT(policy_filter_eval(chain, calls, n, b), 0);
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i]) {
			printf("# %s: arch 0x%x nr %d args 0x%llx 0x%llx 0x%llx: tree 0x%x, chain "
			       "0x%x\n",
			       name, calls[i].arch, calls[i].nr,
			       (unsigned long long)calls[i].args[0],
			       (unsigned long long)calls[i].args[1],
			       (unsigned long long)calls[i].args[2], a[i], b[i]);
			return 1;
		}
	printf("# %s: %zu calls decided alike (%d instructions as a tree, %d as a chain)\n", name,
	       n, n_tree, n_chain);
	return 0;
}

/* policy_compile() lays large policies out as a binary tree over the syscall numbers. Every
 * syscall number of every architecture, with argument values that each rule of the shipped
 * policies tests (and their neighbours), gets the same action from the tree as from the
 * chain. A synthetic policy adds rules with several conditions and masks on many calls. */
static int
t_tree_matches_chain(void)
{
	static const char *const names[] = {"base", "run", "build", "unpack", NULL};
	static const uint64_t vals[] = {
		0,
		1,
		2,
		3,
		23,
		0x5401,
		0x5413,
		0x540F,
		0x5421,
		0x541B,
		0x5451,
		0x5450,
		0x5412,
		0x100005401ULL,
		0x7E020080,
		CLONE_NEWUSER | SIGCHLD,
		CLONE_VM | CLONE_THREAD | CLONE_SIGHAND,
		0x80000000ULL,
		0xffffffffULL,
		~0ULL,
	};
	const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64};
	size_t max = ELEMENTSOF(arches) * 2 * 480 * (1 + 3 * ELEMENTSOF(vals));
	_cleanup_free_ struct policy_call *calls = calloc(max, sizeof(*calls));
	size_t n = 0;

	CHECK(calls);
	for (size_t ai = 0; ai < ELEMENTSOF(arches); ai++)
		for (int x32 = 0; x32 < 2; x32++) {
			if (x32 && arches[ai] != AUDIT_ARCH_X86_64)
				continue;
			for (int nr = 0; nr < 480; nr++) {
				int xnr = nr | (x32 ? X32_BIT : 0);
				calls[n++] = CALL(arches[ai], xnr, 0);
				for (size_t v = 0; v < ELEMENTSOF(vals); v++)
					for (int arg = 0; arg < 3; arg++) {
						struct policy_call c = CALL(arches[ai], xnr, 0);
						c.args[arg] = vals[v];
						c.args[1 - (arg & 1)] |= arg == 2 ? 1 : 0;
						calls[n++] = c;
					}
			}
		}
	CHECK(n <= max);

	for (size_t i = 0; names[i]; i++) {
		_cleanup_(policy_freep) struct policy *p = NULL;
		struct policy_error err;
		CHECK_EQ_INT(policy_load(names[i], policy_dir(), &p, &err), 0);
		CHECK_EQ_INT(same_as_chain(p, names[i], calls, n), 0);
	}

	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_error err;
	CHECK_EQ_INT(parse("allow read write close fstat mmap munmap brk exit_group\n"
			   "allow openat if arg2 & 0x3 == 0\n"
			   "allow ioctl if arg1 == 0x5401\n"
			   "allow ioctl if arg1 == 0x5413 and arg0 == 1\n"
			   "allow socket if arg0 == 1 and arg1 & 0x80000 == 0x80000\n"
			   "allow prlimit64 if arg0 == 0\n"
			   "errno EPERM kill if arg1 == 23\n"
			   "errno ENOSYS clone3\n"
			   "allow clone if arg0 & 0x7E020080 == 0\n",
			   &p, &err),
		     0);
	CHECK_EQ_INT(same_as_chain(p, "synthetic", calls, n), 0);
	return 0;
}

/* Waits up to 5 s for a notification on @fd and receives it into @req (zeroed first, which
 * the kernel requires). Returns 0 or -errno. */
static int
receive(int fd, struct seccomp_notif *req)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int r = poll(&pfd, 1, 5000);

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	memset(req, 0, sizeof(*req));
	return seccomp_notify_receive(fd, req);
}

static long
int80_getpid(void)
{
	long ret;

	/* getpid is 20 on i386. The int 0x80 entry preserves every register but rax; r8-r11 are
	 * listed because older kernels zeroed them. */
	__asm__ volatile("int $0x80" : "=a"(ret) : "0"(20L) : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* Whether this kernel takes 32-bit calls through int 0x80 at all: with IA32 emulation off
 * (ia32_emulation=0, or some hypervisors) the instruction faults with SIGSEGV instead. */
static bool
have_int80(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		/* Die quietly: sanitizers would report the expected SIGSEGV as a crash. */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			(void)dup2(null, 2);
		(void)signal(SIGSEGV, SIG_DFL);
		_exit(int80_getpid() == syscall(SYS_getpid) ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The grandchild: runs under the compiled run policy and reports through @wfd. */
static _noreturn_ void
filtered_child(scmp_filter_ctx ctx, int wfd, bool int80)
{
	long res[4];
	long ret;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
		_exit(2);
	res[0] = seccomp_notify_fd(ctx); /* no syscall: libseccomp remembers the listener */
	res[1] = syscall(SYS_getpid);	 /* allowed: really runs */
	res[2] = syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0; /* errno rule: ENOSYS */
	(void)util_write_all(wfd, res, sizeof(long) * 3);
	/* Denied: the supervisor (our parent) is notified and answers EPERM. */
	res[3] = syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0 ? errno : 0;
	(void)util_write_all(wfd, &res[3], sizeof(long));
	/* clone is allowed in run.policy, but not with a CLONE_NEW* flag: notified too. Should
	 * the filter be wrong, the new child leaves at once and the parent's wait times out. */
	ret = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (ret == 0)
		_exit(0);
	res[3] = ret < 0 ? errno : 0;
	(void)util_write_all(wfd, &res[3], sizeof(long));
	/* A 32-bit call through int 0x80: notified, never allowed (KERNEL-NOTES 11). */
	if (int80) {
		ret = int80_getpid();
		(void)util_write_all(wfd, &ret, sizeof(ret));
	}
	for (;;)
		pause(); /* not in the policy either; we are killed long before */
}

static int
t_kernel_notify(void)
{
	_cleanup_(releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int pidfd = -1, lfd = -1;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	long res[3] = {0}, err_no = 0;
	int p[2], status, r, rc = 1;
	bool int80 = have_int80();
	pid_t pid;

	if (seccomp_api_get() < 5)
		return tap_skip("libseccomp/kernel without user notification (API level < 5)");
	CHECK_EQ_INT(load_compile("run", NULL, &ctx), 0);
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	alarm(30); /* a hang is a failure, not a stuck test run */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		filtered_child(ctx, p[1], int80);
	}
	close(p[1]);

	if (util_read_full(p[0], res, sizeof(res)) != sizeof(res)) {
		printf("# filtered child failed to start\n");
		goto out;
	}
	if (res[0] < 0 || res[1] != pid || res[2] != ENOSYS) {
		printf("# listener %ld, getpid %ld (want %d), clone3 errno %ld (want ENOSYS)\n",
		       res[0], res[1], pid, res[2]);
		goto out;
	}
	/* The listener fd lives in the child (close-on-exec, KERNEL-NOTES 9): fetch it. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0)
		lfd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)res[0], 0);
	if (lfd < 0) {
		rc = tap_skip("pidfd_open/pidfd_getfd unavailable");
		goto out;
	}
	if (seccomp_notify_alloc(&req, &resp) < 0)
		goto out;

	for (int i = 0; i < 2; i++) {
		int want = i == 0 ? SYS_ptrace : SYS_clone;
		r = receive(lfd, req);
		if (r < 0 || req->pid != (uint32_t)pid || req->data.nr != want ||
		    req->data.arch != AUDIT_ARCH_X86_64) {
			printf("# receive %d: pid %u nr %d (want %d) arch 0x%x\n", r, req->pid,
			       req->data.nr, want, req->data.arch);
			goto out;
		}
		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		resp->error = -EPERM;
		if (seccomp_notify_respond(lfd, resp) < 0)
			goto out;
		if (util_read_full(p[0], &err_no, sizeof(err_no)) != sizeof(err_no) ||
		    err_no != EPERM) {
			printf("# call %d: errno %ld, want EPERM from the supervisor\n", want,
			       err_no);
			goto out;
		}
	}

	if (!int80) {
		/* t_bpf_eval and t_compat_pfc still cover the i386 part of the filter. */
		printf("# int 0x80 faults on this kernel: i386 notification not tested here\n");
		rc = 0;
		goto out;
	}
	r = receive(lfd, req);
	if (r < 0 || req->data.nr != 20 || req->data.arch != AUDIT_ARCH_I386) {
		printf("# i386: receive %d: nr %d arch 0x%x\n", r, req->data.nr, req->data.arch);
		goto out;
	}
	rc = 0;
out:
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	if (req)
		seccomp_notify_free(req, resp);
	close(p[0]);
	return rc;
}

/* A policy that allows nothing but write and exit: an allowed call works, a call that is not
 * allowed at all (getppid) notifies, proving the default is NOTIFY on the kernel too. */
static int
t_kernel_minimal(void)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int pidfd = -1, lfd = -1;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct policy_error err;
	long fd = -1;
	int pp[2], status, r, rc = 1;
	pid_t pid;

	if (seccomp_api_get() < 5)
		return tap_skip("libseccomp/kernel without user notification (API level < 5)");
	CHECK_EQ_INT(parse("allow write exit_group\n", &p, &err), 0);
	CHECK_EQ_INT(policy_compile(p, &ctx), 0);
	CHECK_EQ_INT(pipe2(pp, O_CLOEXEC), 0);
	alarm(30);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		long lfd_child;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
			_exit(2);
		lfd_child = seccomp_notify_fd(ctx);
		(void)util_write_all(pp[1], &lfd_child, sizeof(lfd_child));
		(void)syscall(SYS_getppid);
		syscall(SYS_exit_group, 3);
	}
	close(pp[1]);
	if (util_read_full(pp[0], &fd, sizeof(fd)) != sizeof(fd))
		goto out;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0)
		lfd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
	if (lfd < 0) {
		rc = tap_skip("pidfd_open/pidfd_getfd unavailable");
		goto out;
	}
	if (seccomp_notify_alloc(&req, &resp) < 0)
		goto out;
	r = receive(lfd, req);
	if (r < 0 || req->data.nr != SYS_getppid) {
		printf("# receive %d nr %d\n", r, req->data.nr);
		goto out;
	}
	rc = 0;
out:
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	if (req)
		seccomp_notify_free(req, resp);
	close(pp[0]);
	return rc;
}

/* In the filtered child: the sandbox's last step. */
static void
exec_argv(const void *arg)
{
	const char *const *argv = arg;
	char env_path[] = "PATH=/usr/bin:/bin", env_lang[] = "LANG=C.UTF-8",
	     env_home[] = "HOME=/tmp";
	char *envp[] = {env_path, env_lang, env_home, NULL}, *av[16] = {NULL};

	for (size_t i = 0; argv[i] && i < ELEMENTSOF(av) - 1; i++)
		av[i] = strdup(argv[i]); /* execve wants char *; ours are literals */
	execve(av[0], av, envp);
	_exit(127);
}

/* Runs @fn(@arg) in a child under policies/@policy as the sandbox does (no_new_privs, then
 * seccomp_load, then the work; for programs the work is execve), with this process as the
 * supervisor. Each notification is printed with the call's name (@what says whose). With
 * @keep_going the call fails with ENOSYS and the child goes on, which lists everything a
 * program lacks; otherwise the child is killed at the first, as the real supervisor does.
 * Returns the number of denied calls, or -1 if the child did not exit 0 without being killed
 * for a denied call (or could not start). */
static int
supervise(const char *policy, const char *what, void (*fn)(const void *), const void *arg,
	  bool keep_going)
{
	_cleanup_(releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int pidfd = -1, lfd = -1, devnull = -1;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	int to[2], from[2], status = 0, denied = 0;
	bool exited = false;
	long fd = -1;
	pid_t pid;

	if (load_compile(policy, NULL, &ctx) < 0 || pipe2(to, O_CLOEXEC) < 0 ||
	    pipe2(from, O_CLOEXEC) < 0)
		return -1;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char go;
		/* stdin and stdout on /dev/null: the program's output must not mix with TAP. */
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			_exit(2);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
			_exit(2);
		fd = seccomp_notify_fd(ctx);
		(void)util_write_all(from[1], &fd, sizeof(fd));
		/* Wait until the supervisor holds the listener: it is close-on-exec. */
		if (util_read_full(to[0], &go, 1) != 1)
			_exit(2);
		fn(arg);
		syscall(SYS_exit_group, 0); /* not exit(): no atexit handlers under the filter */
	}
	close(to[0]);
	close(from[1]);
	if (util_read_full(from[0], &fd, sizeof(fd)) != sizeof(fd))
		goto out;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0)
		lfd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
	if (lfd < 0 || seccomp_notify_alloc(&req, &resp) < 0)
		goto out;
	if (util_write_all(to[1], "x", 1) < 0)
		goto out;
	for (;;) {
		struct pollfd pfd[2] = {{.fd = lfd, .events = POLLIN},
					{.fd = pidfd, .events = POLLIN}};
		char name[64];
		if (poll(pfd, 2, 20000) <= 0)
			goto out;
		if (pfd[0].revents & POLLIN) {
			memset(req, 0, sizeof(*req));
			if (seccomp_notify_receive(lfd, req) < 0)
				continue; /* the caller died meanwhile */
			_cleanup_free_ char *n =
				seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, req->data.nr);
			snprintf(name, sizeof(name), "%s", n ? n : "?");
			printf("# %s: %s denied %s (nr %d, arch 0x%x, a0 0x%llx a1 0x%llx)\n",
			       policy, what, name, req->data.nr, req->data.arch,
			       (unsigned long long)req->data.args[0],
			       (unsigned long long)req->data.args[1]);
			denied++;
			if (!keep_going)
				break;
			memset(resp, 0, sizeof(*resp));
			resp->id = req->id;
			resp->error = -ENOSYS;
			(void)seccomp_notify_respond(lfd, resp);
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			exited = true;
			break;
		}
	}
out:
	if (!exited)
		(void)kill(pid, SIGKILL);
	close(to[1]);
	close(from[0]);
	if (req)
		seccomp_notify_free(req, resp);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (denied && !keep_going && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return denied;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("# %s: %s: wait status 0x%x\n", policy, what, status);
		return -1;
	}
	return denied;
}

/* Real programs under the shipped policies: nothing they need is denied. These are harmless
 * programs from the host (the point is the policy, not containment). Set
 * GRADEBOX_POLICY_EXPLORE=1 to let denied calls fail with ENOSYS and list all of them. */
static int
t_kernel_programs(void)
{
	const char *explore = getenv("GRADEBOX_POLICY_EXPLORE");
	bool keep_going = explore && strcmp(explore, "1") == 0;
	char dir[] = "/tmp/test-policy-XXXXXX", src[64], out[64], mk[64], cmd[256];
	int fails = 0, r;
	struct {
		const char *policy;
		const char *needs; /* skipped when this is not installed */
		const char *argv[8];
	} progs[] = {
		{"run", "/bin/true", {"/bin/true", NULL}},
		{"run",
		 "/usr/bin/python3",
		 {"/usr/bin/python3", "-c",
		  "import json, re, math, threading, sys, subprocess\n"
		  "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
		  "print(json.dumps({'x': math.sqrt(2)}), sys.stdin.read())",
		  NULL}},
		{"build",
		 "/bin/sh",
		 {"/bin/sh", "-c", "x=$(echo hi | cat); test \"$x\" = hi", NULL}},
		{"build", "/usr/bin/gcc", {"/usr/bin/gcc", "-O2", "-o", out, src, NULL}},
		{"run", "/usr/bin/gcc", {out, NULL}},
		{"build", "/usr/bin/make", {"/usr/bin/make", "-s", "-C", dir, NULL}},
		{"run", "/usr/bin/make", {cmd, NULL}},
	};

	if (seccomp_api_get() < 5)
		return tap_skip("libseccomp/kernel without user notification (API level < 5)");
	if (!mkdtemp(dir))
		return 1;
	snprintf(src, sizeof(src), "%s/hello.c", dir);
	snprintf(out, sizeof(out), "%s/hello", dir);
	snprintf(mk, sizeof(mk), "%s/Makefile", dir);
	snprintf(cmd, sizeof(cmd), "%s/hello-static", dir);
	{
		_cleanup_fclose_ FILE *f = fopen(src, "we");
		_cleanup_fclose_ FILE *m = fopen(mk, "we");
		if (!f || !m)
			return 1;
		fputs("#include <stdio.h>\n#include <stdlib.h>\nint main(void) {\n"
		      "char *p = malloc(1 << 20); p[0] = 1; printf(\"hi %d\\n\", p[0]);\n"
		      "free(p); return 0;\n}\n",
		      f);
		/* A static binary: no loader, a different start-up path in glibc. */
		fputs("hello-static: hello.c\n\tcc -O2 -static -o $@ hello.c\n", m);
	}
	for (size_t i = 0; i < ELEMENTSOF(progs); i++) {
		if (access(progs[i].needs, X_OK) < 0) {
			printf("# %s: not installed, not tested\n", progs[i].needs);
			continue;
		}
		r = supervise(progs[i].policy, progs[i].argv[0], exec_argv, progs[i].argv,
			      keep_going);
		if (r != 0) {
			printf("# %s under %s: %d\n", progs[i].argv[0], progs[i].policy, r);
			fails++;
		}
	}
	(void)util_rm_rf(dir);
	return fails ? 1 : 0;
}

/* In the filtered child: what the unpacker does (grader/unpack.c), by hand. @arg is the job
 * directory. Exits 0 only if every step worked. */
static void
unpack_ops(const void *arg)
{
	struct open_how how = {.flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			       .mode = 0644,
			       .resolve = RESOLVE_BENEATH};
	struct timespec ts[2] = {{.tv_sec = 1}, {.tv_sec = 2}};
	int dfd, fd;

	dfd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || mkdirat(dfd, "sub", 0755) < 0)
		_exit(10);
	fd = (int)syscall(SYS_openat2, dfd, "sub/file", &how, sizeof(how));
	if (fd < 0 || ftruncate(fd, 3) < 0 || write(fd, "abc", 3) != 3 || fchmod(fd, 0640) < 0 ||
	    futimens(fd, ts) < 0 || close(fd) < 0)
		_exit(11);
	fd = openat(dfd, "plain", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0)
		_exit(12);
	/* RESOLVE_BENEATH is the kernel's job, but check the policy does not stand in its way. */
	if (syscall(SYS_openat2, dfd, "../escape", &how, sizeof(how)) >= 0 || errno != EXDEV)
		_exit(13);
	syscall(SYS_exit_group, 0);
}

/* In the filtered child: an unpacker that tries to plant a symlink (the planner refuses them;
 * the filter must too). */
static void
unpack_symlink(const void *arg)
{
	if (symlinkat("/etc/passwd", AT_FDCWD, arg) == 0)
		_exit(21);
	_exit(20);
}

static int
t_kernel_unpack(void)
{
	char dir[] = "/tmp/test-policy-XXXXXX", path[64];
	struct stat st;
	int r, rc = 1;

	if (seccomp_api_get() < 5)
		return tap_skip("libseccomp/kernel without user notification (API level < 5)");
	if (!mkdtemp(dir))
		return 1;
	r = supervise("unpack", "unpack_ops", unpack_ops, dir, false);
	if (r != 0) {
		printf("# unpack_ops: %d\n", r);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/sub/file", dir);
	if (stat(path, &st) < 0 || st.st_size != 3 || (st.st_mode & 07777) != 0640 ||
	    st.st_mtim.tv_sec != 2)
		goto out;
	/* No symlinks from the unpacker: notified (and killed), and nothing was created. */
	snprintf(path, sizeof(path), "%s/link", dir);
	r = supervise("unpack", "unpack_symlink", unpack_symlink, path, false);
	if (r != 1 || lstat(path, &st) == 0) {
		printf("# unpack_symlink: %d, want 1 denied call\n", r);
		goto out;
	}
	rc = 0;
out:
	(void)util_rm_rf(dir);
	return rc;
}

TAP_MAIN(TAP_TEST(t_parse_good), TAP_TEST(t_parse_errors), TAP_TEST(t_parse_limits),
	 TAP_TEST(t_includes), TAP_TEST(t_never_allow), TAP_TEST(t_compile_all),
	 TAP_TEST(t_compile_too_big), TAP_TEST(t_policy_contents), TAP_TEST(t_compat_pfc),
	 TAP_TEST(t_bpf_eval), TAP_TEST(t_tree_matches_chain), TAP_TEST(t_kernel_notify),
	 TAP_TEST(t_kernel_minimal), TAP_TEST(t_kernel_programs), TAP_TEST(t_kernel_unpack))
