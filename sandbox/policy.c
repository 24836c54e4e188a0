/* SPDX-License-Identifier: MIT */
/* Seccomp policies as data: a strict line parser (with includes), a lint that refuses dangerous
 * rules whatever a policy file says, and a compiler to a libseccomp filter whose default is
 * NOTIFY. The format is documented in docs/policy-format.md. No filter is loaded here. */
#include "policy.h"

#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "util.h"

/* Limits keep a hostile or broken file (and the fuzzer) from costing unbounded time or memory.
 * Real policies are a few hundred bytes and well under a hundred rules. */
#define MAX_LINE      1024 /* bytes per line, without the newline */
#define MAX_TOKENS    (MAX_LINE / 2 + 1)
#define MAX_DEPTH     8		/* include nesting */
#define MAX_FILES     64	/* distinct files read for one policy */
#define MAX_RULES     2048	/* rules across all files */
#define MAX_FILE_SIZE (1 << 20) /* bytes per policy file */
#define MAX_CONDS     6		/* one per syscall argument: libseccomp refuses two on one arg */
#define MAX_NAME      64	/* include names and syscall names */
#define X86_64_NR_MAX 1024	/* x86_64 syscall numbers are below this (about 460 today) */

/* Every CLONE_NEW* flag that clone() can see: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID,
 * NEWNET, and NEWTIME (0x80, which clone() takes as part of the exit signal; masked anyway). */
#define CLONE_NS_FLAGS UINT64_C(0x7E020080)

struct rule {
	int nr;				      /* x86_64 syscall number */
	uint32_t action;		      /* SCMP_ACT_ALLOW or SCMP_ACT_ERRNO(e) */
	unsigned n_conds;		      /* used entries of conds[] */
	struct scmp_arg_cmp conds[MAX_CONDS]; /* AND'ed; several rules for one call are OR'ed */
	unsigned file;			      /* index into policy->files */
	unsigned line;			      /* 1-based line of the rule */
};

struct policy {
	char *name;		/* owned: file stem, e.g. "run" */
	struct rule *rules;	/* owned: in file order */
	size_t n_rules;		/* used entries of rules[] */
	size_t n_alloc;		/* allocated entries of rules[] */
	char *files[MAX_FILES]; /* owned: names of the files read, for errors and include-once */
	size_t n_files;		/* used entries of files[] */
};

struct parser {
	struct policy *p;		 /* borrowed: the policy being built */
	const char *policy_dir;		 /* borrowed, may be NULL: includes are then refused */
	char stack[MAX_DEPTH][MAX_NAME]; /* stems of the files being parsed, for cycle detection */
	unsigned depth;			 /* used entries of stack[] */
	struct policy_error *err;	 /* borrowed: where errors go */
};

/* The never-allow list. Each call here is refused in an allow line of any policy; the reason is
 * part of the lint message so the policy author learns why, not just that. */
static const struct never_allow {
	const char *name;
	const char *why;
} never_allow[] = {
	/* Reaching into other processes. */
	{"ptrace", "reads and writes other processes' memory and registers"},
	{"process_vm_readv", "reads another process's memory"},
	{"process_vm_writev", "writes another process's memory"},
	{"process_madvise", "acts on another process's memory"},
	{"pidfd_getfd", "steals file descriptors from another process"},
	{"kcmp", "compares other processes' kernel objects (an information leak)"},
	/* The filesystem view: the sandbox's mounts are final (docs/ARCHITECTURE.md). */
	{"mount", "changes the mount table"},
	{"umount2", "changes the mount table"},
	{"pivot_root", "changes the root of the mount namespace"},
	{"chroot", "changes the root directory (a classic escape with an open fd)"},
	{"move_mount", "changes the mount table (new mount API)"},
	{"open_tree", "clones mounts (new mount API)"},
	{"fsopen", "creates filesystems (new mount API)"},
	{"fsconfig", "configures filesystems (new mount API)"},
	{"fsmount", "creates mounts (new mount API)"},
	{"fspick", "reconfigures mounts (new mount API)"},
	{"mount_setattr", "changes mount flags such as read-only"},
	{"open_by_handle_at", "opens files by handle past mount boundaries (the 'shocker' escape)"},
	{"name_to_handle_at", "leaks file handles for open_by_handle_at"},
	{"quotactl", "changes disk quotas"},
	{"quotactl_fd", "changes disk quotas"},
	{"swapon", "changes the host's swap"},
	{"swapoff", "changes the host's swap"},
	/* Namespaces: a nested user namespace is a large kernel attack surface (KERNEL-NOTES 5). */
	{"unshare", "creates namespaces"},
	{"setns", "joins other namespaces"},
	/* Kernel attack surface that no graded program needs. */
	{"keyctl", "the kernel keyring is not namespaced"},
	{"add_key", "the kernel keyring is not namespaced"},
	{"request_key", "the kernel keyring is not namespaced"},
	{"bpf", "loads programs into the kernel"},
	{"io_uring_setup", "io_uring runs operations that seccomp never sees"},
	{"io_uring_enter", "io_uring runs operations that seccomp never sees"},
	{"io_uring_register", "io_uring runs operations that seccomp never sees"},
	{"perf_event_open", "kernel attack surface and side channels"},
	{"userfaultfd", "lets exploits stall the kernel to win races"},
	{"modify_ldt", "changes segment descriptors; used by kernel exploits, needed by nothing"},
	{"fanotify_init", "watches filesystem events host-wide"},
	{"lookup_dcookie", "resolves kernel directory cookies (profiling interface)"},
	/* The host itself. */
	{"kexec_load", "replaces the running kernel"},
	{"kexec_file_load", "replaces the running kernel"},
	{"init_module", "loads kernel modules"},
	{"finit_module", "loads kernel modules"},
	{"delete_module", "unloads kernel modules"},
	{"reboot", "reboots the host"},
	{"acct", "switches process accounting"},
	{"syslog", "reads and clears the kernel log"},
	{"iopl", "gives direct I/O port access"},
	{"ioperm", "gives direct I/O port access"},
	{"settimeofday", "changes the host clock"},
	{"clock_settime", "changes the host clock"},
	{"clock_adjtime", "changes the host clock"},
	{"adjtimex", "changes the host clock"},
	{"sethostname", "changes the host name"},
	{"setdomainname", "changes the domain name"},
	{"vhangup", "hangs up the terminal"},
	/* clone3 passes its flags in memory, where seccomp cannot see them, so CLONE_NEW* cannot be
	 * filtered. glibc 2.34+ falls back to clone() when clone3 fails with ENOSYS, which is why
	 * policies say "errno ENOSYS clone3" instead. */
	{"clone3",
	 "its flags are in memory where seccomp cannot see them; use 'errno ENOSYS clone3'"},
	/* Obsolete or unimplemented on x86_64: nothing legitimate calls them. */
	{"nfsservctl", "obsolete (removed from the kernel)"},
	{"uselib", "obsolete a.out loader"},
	{"ustat", "obsolete"},
	{"sysfs", "obsolete"},
	{"_sysctl", "obsolete (removed from the kernel)"},
	{"create_module", "obsolete (removed from the kernel)"},
	{"get_kernel_syms", "obsolete (removed from the kernel)"},
	{"query_module", "obsolete (removed from the kernel)"},
	{"tuxcall", "unimplemented"},
	{"security", "unimplemented"},
	{"afs_syscall", "unimplemented"},
	{"putpmsg", "unimplemented"},
	{"getpmsg", "unimplemented"},
	{"vserver", "unimplemented"},
};

/* ioctl requests a policy may allow, each pinned with "arg1 == N". A deny list of bad requests
 * would have to be complete forever; an allow list only has to be right. Knowingly absent:
 * TIOCSTI 0x5412 (pushes input into the terminal: CVE-2017-5226 in bubblewrap), TIOCLINUX
 * 0x541C (the same through console selection: CVE-2023-1523), TIOCSETD 0x5423 (line disciplines,
 * e.g. CVE-2017-2636), TIOCCONS 0x541D and TIOCSCTTY 0x540E (take over a console or tty). */
static const struct {
	uint64_t request;
	const char *name;
} ioctl_vetted[] = {
	{0x5401, "TCGETS"},	/* isatty(), stdio buffering decisions */
	{0x540F, "TIOCGPGRP"},	/* shells query the foreground group */
	{0x5413, "TIOCGWINSZ"}, /* terminal size */
	{0x541B, "FIONREAD"},	/* bytes available on a pipe or socket */
	{0x5421, "FIONBIO"},	/* non-blocking mode */
	{0x5450, "FIONCLEX"},	/* clear close-on-exec */
	{0x5451, "FIOCLEX"},	/* set close-on-exec */
};

/* socket() families: local sockets and IP (in the sandbox's empty network namespace). Netlink
 * (16) and packet (17) sockets reach kernel subsystems and raw frames, so they stay out. */
static const uint64_t socket_families[] = {1 /* AF_UNIX */, 2 /* AF_INET */, 10 /* AF_INET6 */};

/* personality() values the Moby (Docker) default profile allows: PER_LINUX, PER_LINUX32,
 * UNAME26, both, and 0xffffffff (query). Others such as MMAP_PAGE_ZERO or READ_IMPLIES_EXEC
 * weaken exploit mitigations for whatever the process executes next. */
static const uint64_t personality_vetted[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* errno names for "errno NAME ..." lines: the ones a policy has a reason to return. */
static const struct {
	const char *name;
	int value;
} errno_names[] = {
	{"EPERM", EPERM},
	{"ENOENT", ENOENT},
	{"EIO", EIO},
	{"EBADF", EBADF},
	{"EAGAIN", EAGAIN},
	{"ENOMEM", ENOMEM},
	{"EACCES", EACCES},
	{"EFAULT", EFAULT},
	{"EBUSY", EBUSY},
	{"EEXIST", EEXIST},
	{"EXDEV", EXDEV},
	{"ENODEV", ENODEV},
	{"EINVAL", EINVAL},
	{"ENOTTY", ENOTTY},
	{"ENOSPC", ENOSPC},
	{"EROFS", EROFS},
	{"ENOSYS", ENOSYS},
	{"EOPNOTSUPP", EOPNOTSUPP},
	{"ENOTSUP", ENOTSUP},
	{"EAFNOSUPPORT", EAFNOSUPPORT},
	{"EPROTONOSUPPORT", EPROTONOSUPPORT},
	{"ENETUNREACH", ENETUNREACH},
	{"ECONNREFUSED", ECONNREFUSED},
};

static const struct never_allow *
never_allow_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(never_allow); i++)
		if (strcmp(never_allow[i].name, name) == 0)
			return &never_allow[i];
	return NULL;
}

bool
policy_never_allow(const char *syscall)
{
	return syscall && never_allow_find(syscall);
}

const char *
policy_never_allow_name(size_t i)
{
	return i < ELEMENTSOF(never_allow) ? never_allow[i].name : NULL;
}

static _printf_(4, 5) int set_error(struct policy_error *err, const char *file, unsigned line,
				    const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "(buffer)");
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Include names are file stems: no '/', no '.', so "include" can never leave policy_dir. */
static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= MAX_NAME || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* "dir/run.policy" -> "run". Writes at most @size-1 bytes. */
static void
file_stem(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 7 && strcmp(base + n - 7, ".policy") == 0)
		n -= 7;
	if (n >= size)
		n = size - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
}

/* Numbers are decimal or 0x-hex, unsigned, 64 bits. A leading 0 on a decimal is refused rather
 * than read as octal, so "010" cannot silently mean 8 or 10. */
static int
parse_number(const char *s, uint64_t *ret, const char **reterr_why)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (s[0] == '-') {
		*reterr_why = "negative numbers are not allowed";
		return -EINVAL;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] != '\0') {
		*reterr_why = "leading zero (octal is not supported; write 0x... for hex)";
		return -EINVAL;
	}
	if (*s == '\0') {
		*reterr_why = "not a number";
		return -EINVAL;
	}
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else {
			*reterr_why = "not a number";
			return -EINVAL;
		}
		if (v > (UINT64_MAX - d) / base) {
			*reterr_why = "number out of range (more than 64 bits)";
			return -ERANGE;
		}
		v = v * base + d;
	}
	*ret = v;
	return 0;
}

static const char *
syscall_name(int nr, char *buf, size_t size)
{
	_cleanup_free_ char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);

	snprintf(buf, size, "%s", n ? n : "?");
	return buf;
}

static bool
in_list(uint64_t v, const uint64_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* True if one of the AND'ed conditions of @r pins argument @arg with "== v" for a v in @list. */
static bool
pinned_to(const struct rule *r, unsigned arg, const uint64_t *list, size_t n)
{
	for (unsigned i = 0; i < r->n_conds; i++)
		if (r->conds[i].arg == arg && r->conds[i].op == SCMP_CMP_EQ &&
		    in_list(r->conds[i].datum_a, list, n))
			return true;
	return false;
}

/* Checks one rule against the rules that do not depend on what the policy author intended.
 * Allow rules only: returning an errno never runs the call, so any errno rule is safe. */
static int
lint_rule(const struct policy *p, const struct rule *r, struct policy_error *err)
{
	const char *file = p->files[r->file];
	char name[MAX_NAME];

	if (r->action != SCMP_ACT_ALLOW)
		return 0;
	syscall_name(r->nr, name, sizeof(name));

	const struct never_allow *na = never_allow_find(name);
	if (na)
		return set_error(err, file, r->line, "'%s' is never allowed: %s", name, na->why);

	if (strcmp(name, "clone") == 0) {
		/* The rule matches only calls whose flags have every bit that some condition forces
		 * to zero cleared; conditions are AND'ed, so the forced-zero bits add up. Only == and
		 * "& MASK ==" force bits; the kernel reads the low 32 bits of the flags. */
		uint64_t zero = 0;
		for (unsigned i = 0; i < r->n_conds; i++) {
			const struct scmp_arg_cmp *c = &r->conds[i];
			if (c->arg != 0)
				continue;
			if (c->op == SCMP_CMP_EQ)
				zero |= ~c->datum_a;
			else if (c->op == SCMP_CMP_MASKED_EQ)
				zero |= c->datum_a & ~c->datum_b;
		}
		if ((zero & CLONE_NS_FLAGS) != CLONE_NS_FLAGS)
			return set_error(
				err, file, r->line,
				"'clone' may only be allowed if arg0 masks out every "
				"CLONE_NEW* flag: 'allow clone if arg0 & 0x7E020080 == 0'");
	} else if (strcmp(name, "ioctl") == 0) {
		/* Only "==" counts: the kernel truncates the request to 32 bits while seccomp compares
		 * 64, so "!=" or ranges can be bypassed by setting high bits; "==" cannot. */
		uint64_t vetted[ELEMENTSOF(ioctl_vetted)];
		for (size_t i = 0; i < ELEMENTSOF(ioctl_vetted); i++)
			vetted[i] = ioctl_vetted[i].request;
		if (!pinned_to(r, 1, vetted, ELEMENTSOF(vetted)))
			return set_error(
				err, file, r->line,
				"'ioctl' may only be allowed with 'arg1 == REQUEST' for a vetted "
				"request (TCGETS TIOCGPGRP TIOCGWINSZ FIONREAD FIONBIO FIONCLEX "
				"FIOCLEX); TIOCSTI and TIOCLINUX never");
	} else if (strcmp(name, "socket") == 0) {
		if (!pinned_to(r, 0, socket_families, ELEMENTSOF(socket_families)))
			return set_error(
				err, file, r->line,
				"'socket' may only be allowed with 'arg0 == 1', '== 2' or '== 10' "
				"(AF_UNIX, AF_INET, AF_INET6): no netlink or packet sockets");
	} else if (strcmp(name, "personality") == 0) {
		if (!pinned_to(r, 0, personality_vetted, ELEMENTSOF(personality_vetted)))
			return set_error(
				err, file, r->line,
				"'personality' may only be allowed with 'arg0 == V' for V in 0, "
				"0x8, 0x20000, 0x20008, 0xffffffff");
	}
	return 0;
}

static bool
has_range_op(const struct rule *r)
{
	for (unsigned i = 0; i < r->n_conds; i++)
		if (r->conds[i].op != SCMP_CMP_EQ && r->conds[i].op != SCMP_CMP_MASKED_EQ)
			return true;
	return false;
}

/* Checks @r against the @n_before rules before it. Several rules for one call are OR'ed, but
 * only if they agree on the action: libseccomp silently drops an errno rule next to an
 * unconditional allow, so refuse the mix instead. And a rule with != < <= > >= must be the only
 * rule for its call: libseccomp 2.5.4 loops forever merging two rules that share such a
 * comparison on one argument and then differ on the next (found by fuzz-policy, e.g.
 * "allow mmap if arg3 != 0 and arg4 >= 0" plus "allow mmap if arg3 != 0 and arg4 == 0"). */
static int
check_conflict(const struct policy *p, const struct rule *r, size_t n_before,
	       struct policy_error *err)
{
	for (size_t i = 0; i < n_before; i++) {
		const struct rule *o = &p->rules[i];
		char name[MAX_NAME];
		if (o->nr != r->nr)
			continue;
		if (o->action != r->action)
			return set_error(
				err, p->files[r->file], r->line,
				"conflicting actions for '%s' (see %s:%u): a call is either "
				"allowed or gets one errno",
				syscall_name(r->nr, name, sizeof(name)), p->files[o->file],
				o->line);
		if (has_range_op(o) || has_range_op(r))
			return set_error(
				err, p->files[r->file], r->line,
				"'%s' has another rule (%s:%u): a rule using != < <= > >= must "
				"be the only rule for its call (libseccomp 2.5 cannot merge it)",
				syscall_name(r->nr, name, sizeof(name)), p->files[o->file],
				o->line);
	}
	return 0;
}

int
policy_lint(const struct policy *p, struct policy_error *reterr)
{
	int r;

	if (!p)
		return -EINVAL;
	for (size_t i = 0; i < p->n_rules; i++) {
		r = lint_rule(p, &p->rules[i], reterr);
		if (r < 0)
			return r;
		r = check_conflict(p, &p->rules[i], i, reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
resolve_syscall(const char *tok, const char *file, unsigned line, struct policy_error *err,
		int *ret)
{
	int nr;

	/* Check the characters first: libseccomp's resolver should only ever see plain names. */
	for (const char *s = tok; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_') ||
		    s - tok >= MAX_NAME)
			return set_error(err, file, line, "unknown syscall '%.64s'", tok);
	nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, tok);
	if (nr == __NR_SCMP_ERROR)
		return set_error(err, file, line, "unknown syscall '%s'", tok);
	if (nr < 0 || nr >= X86_64_NR_MAX)
		/* A negative number is libseccomp's pseudo-syscall for a call that exists on other
		 * architectures only (socketcall, ipc, ...). */
		return set_error(err, file, line, "syscall '%s' does not exist on x86_64", tok);
	*ret = nr;
	return 0;
}

/* Parses "argN OP VALUE" or "argN & MASK == VALUE" starting at tok[*i]; advances *i. */
static int
parse_cond(char **tok, size_t n, size_t *i, const char *file, unsigned line,
	   struct policy_error *err, struct scmp_arg_cmp *ret)
{
	static const struct {
		const char *s;
		enum scmp_compare op;
	} ops[] = {
		{"==", SCMP_CMP_EQ}, {"!=", SCMP_CMP_NE}, {"<", SCMP_CMP_LT},
		{"<=", SCMP_CMP_LE}, {">", SCMP_CMP_GT},  {">=", SCMP_CMP_GE},
	};
	struct scmp_arg_cmp c = {0};
	const char *why = NULL;
	bool found = false;

	if (*i >= n)
		return set_error(err, file, line, "expected a condition 'argN OP VALUE' after '%s'",
				 tok[*i - 1]);
	if (strncmp(tok[*i], "arg", 3) != 0 || tok[*i][3] < '0' || tok[*i][3] > '5' ||
	    tok[*i][4] != '\0')
		return set_error(err, file, line, "expected 'arg0' to 'arg5', got '%.64s'",
				 tok[*i]);
	c.arg = (unsigned)(tok[*i][3] - '0');
	(*i)++;

	if (*i >= n)
		return set_error(err, file, line, "expected an operator after 'arg%u'", c.arg);
	if (strcmp(tok[*i], "&") == 0) {
		(*i)++;
		if (*i >= n)
			return set_error(err, file, line, "expected a mask after '&'");
		if (parse_number(tok[*i], &c.datum_a, &why) < 0)
			return set_error(err, file, line, "bad mask '%.64s': %s", tok[*i], why);
		(*i)++;
		if (*i >= n || strcmp(tok[*i], "==") != 0)
			return set_error(err, file, line, "expected '==' after 'arg%u & MASK'",
					 c.arg);
		c.op = SCMP_CMP_MASKED_EQ;
		found = true;
	} else {
		for (size_t k = 0; k < ELEMENTSOF(ops); k++)
			if (strcmp(tok[*i], ops[k].s) == 0) {
				c.op = ops[k].op;
				found = true;
			}
	}
	if (!found)
		return set_error(err, file, line,
				 "unknown operator '%.64s' (== != < <= > >= or '& MASK ==')",
				 tok[*i]);
	(*i)++;

	if (*i >= n)
		return set_error(err, file, line, "expected a value after '%s'", tok[*i - 1]);
	if (parse_number(tok[*i], c.op == SCMP_CMP_MASKED_EQ ? &c.datum_b : &c.datum_a, &why) < 0)
		return set_error(err, file, line, "bad value '%.64s': %s", tok[*i], why);
	(*i)++;

	if (c.op == SCMP_CMP_MASKED_EQ) {
		/* Both are typos with a silent meaning: mask 0 matches everything, and value bits
		 * outside the mask make a rule that can never match. */
		if (c.datum_a == 0)
			return set_error(err, file, line, "mask 0 makes the condition always true");
		if (c.datum_b & ~c.datum_a)
			return set_error(err, file, line,
					 "value 0x%" PRIx64 " has bits outside mask 0x%" PRIx64
					 ": the condition can never be true",
					 c.datum_b, c.datum_a);
	}
	*ret = c;
	return 0;
}

static int
add_rule(struct parser *ps, const struct rule *r)
{
	struct policy *p = ps->p;
	int k;

	if (p->n_rules >= MAX_RULES)
		return set_error(ps->err, p->files[r->file], r->line, "too many rules (max %d)",
				 MAX_RULES);
	if (p->n_rules == p->n_alloc) {
		size_t n = p->n_alloc ? p->n_alloc * 2 : 64;
		struct rule *nr = reallocarray(p->rules, n, sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		p->rules = nr;
		p->n_alloc = n;
	}
	k = lint_rule(p, r, ps->err);
	if (k < 0)
		return k;
	k = check_conflict(p, r, p->n_rules, ps->err);
	if (k < 0)
		return k;
	p->rules[p->n_rules++] = *r;
	return 0;
}

/* "allow SYSCALL... [if COND [and COND]...]" and "errno NAME SYSCALL... [if ...]": tok[first]
 * is the first syscall name. */
static int
parse_rule_line(struct parser *ps, char **tok, size_t n, size_t first, uint32_t action,
		unsigned file, unsigned line)
{
	const char *fname = ps->p->files[file];
	int nrs[MAX_TOKENS];
	size_t n_nrs = 0, i = first;
	struct rule r = {.action = action, .file = file, .line = line};
	int k;

	for (; i < n && strcmp(tok[i], "if") != 0; i++) {
		k = resolve_syscall(tok[i], fname, line, ps->err, &nrs[n_nrs]);
		if (k < 0)
			return k;
		n_nrs++;
	}
	if (n_nrs == 0)
		return set_error(ps->err, fname, line, "expected a syscall name after '%s'",
				 tok[i - 1]);
	if (i < n) {
		i++; /* "if" */
		for (;;) {
			struct scmp_arg_cmp c;
			k = parse_cond(tok, n, &i, fname, line, ps->err, &c);
			if (k < 0)
				return k;
			for (unsigned j = 0; j < r.n_conds; j++)
				if (r.conds[j].arg == c.arg)
					/* libseccomp refuses it (-EINVAL); say so in policy terms. */
					return set_error(
						ps->err, fname, line,
						"arg%u is compared twice in one rule (write "
						"two allow lines to OR them)",
						c.arg);
			r.conds[r.n_conds++] = c;
			if (i >= n)
				break;
			if (strcmp(tok[i], "and") != 0)
				return set_error(ps->err, fname, line,
						 "trailing garbage '%.64s' (conditions are joined "
						 "with 'and')",
						 tok[i]);
			i++;
			if (i >= n)
				return set_error(ps->err, fname, line,
						 "expected a condition after 'and'");
		}
	}
	for (size_t j = 0; j < n_nrs; j++) {
		r.nr = nrs[j];
		k = add_rule(ps, &r);
		if (k < 0)
			return k;
	}
	return 0;
}

static int parse_file(struct parser *ps, const char *text, size_t len, const char *fname,
		      const char *stem);

static int
read_policy_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	if (st.st_size > MAX_FILE_SIZE)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = util_read_full(fd, buf, (size_t)st.st_size + 1);
	if (n < 0)
		return (int)n;
	if (n > st.st_size) /* grew while we read it */
		return -EFBIG;
	*ret_len = (size_t)n;
	*ret = TAKE_PTR(buf);
	return 0;
}

static int
add_file(struct policy *p, const char *name, unsigned *ret)
{
	if (p->n_files >= MAX_FILES)
		return -E2BIG;
	p->files[p->n_files] = strdup(name);
	if (!p->files[p->n_files])
		return -ENOMEM;
	*ret = (unsigned)p->n_files++;
	return 0;
}

static int
parse_include(struct parser *ps, char **tok, size_t n, const char *fname, unsigned line)
{
	_cleanup_free_ char *text = NULL;
	char path[4096], incname[MAX_NAME + 8], chain[200];
	size_t len = 0, off = 0;
	int k;

	if (n < 2)
		return set_error(ps->err, fname, line, "expected a policy name after 'include'");
	if (n > 2)
		return set_error(ps->err, fname, line,
				 "trailing garbage '%.64s' after include name", tok[2]);
	if (!valid_name(tok[1]))
		return set_error(
			ps->err, fname, line,
			"bad include name '%.64s' (a file stem: letters, digits, '_', '-')",
			tok[1]);
	if (!ps->policy_dir)
		return set_error(ps->err, fname, line, "include '%s': no policy directory here",
				 tok[1]);
	for (unsigned d = 0; d < ps->depth; d++) {
		if (strcmp(ps->stack[d], tok[1]) != 0)
			continue;
		for (unsigned e = d; e < ps->depth && off < sizeof(chain); e++)
			off += (size_t)snprintf(chain + off, sizeof(chain) - off, "%s -> ",
						ps->stack[e]);
		if (off < sizeof(chain))
			snprintf(chain + off, sizeof(chain) - off, "%s", tok[1]);
		return set_error(ps->err, fname, line, "include cycle: %s", chain);
	}
	if (ps->depth >= MAX_DEPTH)
		return set_error(ps->err, fname, line, "includes nested too deeply (max %d)",
				 MAX_DEPTH);
	snprintf(incname, sizeof(incname), "%s.policy", tok[1]);
	/* Include-once: a file already read (e.g. base from two places) adds nothing new. */
	for (size_t f = 0; f < ps->p->n_files; f++)
		if (strcmp(ps->p->files[f], incname) == 0)
			return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ps->policy_dir, incname) >= sizeof(path))
		return set_error(ps->err, fname, line, "include '%s': path too long", tok[1]);
	k = read_policy_file(path, &text, &len);
	if (k < 0) {
		(void)set_error(ps->err, fname, line, "include '%s': cannot read %s: %s", tok[1],
				path, strerror(-k));
		return k == -ENOENT ? -ENOENT : -EINVAL;
	}
	return parse_file(ps, text, len, incname, tok[1]);
}

static int
parse_line(struct parser *ps, char *s, unsigned file, unsigned line)
{
	const char *fname = ps->p->files[file];
	char *tok[MAX_TOKENS], *save = NULL;
	size_t n = 0;
	char *hash = strchr(s, '#');

	if (hash)
		*hash = '\0'; /* '#' never occurs in a token, so it always starts a comment */
	for (char *c = s; *c; c++)
		if ((unsigned char)*c >= 0x80)
			return set_error(ps->err, fname, line,
					 "non-ASCII byte 0x%02x outside a comment",
					 (unsigned char)*c);
	for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t; /* a MAX_LINE line has at most MAX_TOKENS tokens */
	if (n == 0)
		return 0;

	if (strcmp(tok[0], "include") == 0)
		return parse_include(ps, tok, n, fname, line);
	if (strcmp(tok[0], "allow") == 0)
		return parse_rule_line(ps, tok, n, 1, SCMP_ACT_ALLOW, file, line);
	if (strcmp(tok[0], "errno") == 0) {
		if (n < 2)
			return set_error(ps->err, fname, line,
					 "expected an errno name after 'errno'");
		for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
			if (strcmp(tok[1], errno_names[i].name) == 0)
				return parse_rule_line(
					ps, tok, n, 2,
					SCMP_ACT_ERRNO((uint32_t)errno_names[i].value), file, line);
		return set_error(ps->err, fname, line, "unknown errno name '%.64s'", tok[1]);
	}
	return set_error(ps->err, fname, line,
			 "unknown keyword '%.64s' (expected include, allow or errno)", tok[0]);
}

static int
parse_file(struct parser *ps, const char *text, size_t len, const char *fname, const char *stem)
{
	char buf[MAX_LINE + 1];
	unsigned file, line = 0;
	int k;

	k = add_file(ps->p, fname, &file);
	if (k == -E2BIG)
		return set_error(ps->err, fname, 0, "too many included files (max %d)", MAX_FILES);
	if (k < 0)
		return k;
	snprintf(ps->stack[ps->depth++], MAX_NAME, "%s", stem);

	for (size_t pos = 0; pos < len;) {
		size_t end = pos;
		line++;
		while (end < len && text[end] != '\n') {
			unsigned char ch = (unsigned char)text[end];
			/* No NUL, CR or other control bytes: they hide text from reviewers. */
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return set_error(ps->err, fname, line, "control character 0x%02x%s",
						 ch, ch == '\r' ? " (CRLF line endings?)" : "");
			end++;
		}
		if (end - pos > MAX_LINE)
			return set_error(ps->err, fname, line, "line too long (max %d bytes)",
					 MAX_LINE);
		memcpy(buf, text + pos, end - pos);
		buf[end - pos] = '\0';
		k = parse_line(ps, buf, file, line);
		if (k < 0)
			return k;
		pos = end + 1;
	}
	ps->depth--;
	return 0;
}

struct policy *
policy_free(struct policy *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->rules);
	free(p->name);
	free(p);
	return NULL;
}

int
policy_parse(const char *text, size_t len, const char *filename, const char *policy_dir,
	     struct policy **ret, struct policy_error *reterr)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_free_ struct parser *ps = NULL;
	char stem[MAX_NAME];
	int k;

	if (!text && len > 0)
		return -EINVAL;
	if (!filename)
		filename = "(buffer)";
	if (len > MAX_FILE_SIZE)
		return set_error(reterr, filename, 0, "file too large (max %d bytes)",
				 MAX_FILE_SIZE);
	file_stem(filename, stem, sizeof(stem));
	p = calloc(1, sizeof(*p));
	ps = calloc(1, sizeof(*ps));
	if (!p || !ps)
		return -ENOMEM;
	p->name = strdup(stem);
	if (!p->name)
		return -ENOMEM;
	ps->p = p;
	ps->policy_dir = policy_dir;
	ps->err = reterr;
	k = parse_file(ps, text ? text : "", len, filename, stem);
	if (k < 0)
		return k;
	*ret = TAKE_PTR(p);
	return 0;
}

int
policy_load(const char *name_or_path, const char *policy_dir, struct policy **ret,
	    struct policy_error *reterr)
{
	_cleanup_free_ char *text = NULL;
	char path[4096], fname[MAX_NAME + 8];
	const char *shown;
	size_t len = 0;
	int k;

	if (!name_or_path)
		return -EINVAL;
	if (strchr(name_or_path, '/')) {
		if (strlen(name_or_path) >= sizeof(path))
			return set_error(reterr, name_or_path, 0, "path too long");
		snprintf(path, sizeof(path), "%s", name_or_path);
		shown = name_or_path;
	} else {
		if (!valid_name(name_or_path))
			return set_error(reterr, name_or_path, 0, "bad policy name");
		if (!policy_dir)
			return set_error(reterr, name_or_path, 0, "no policy directory given");
		snprintf(fname, sizeof(fname), "%s.policy", name_or_path);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", policy_dir, fname) >=
		    sizeof(path))
			return set_error(reterr, fname, 0, "path too long");
		shown = fname;
	}
	k = read_policy_file(path, &text, &len);
	if (k < 0) {
		(void)set_error(reterr, shown, 0, "cannot read %s: %s", path, strerror(-k));
		return k == -ENOENT ? -ENOENT : -EINVAL;
	}
	return policy_parse(text, len, shown, policy_dir, ret, reterr);
}

size_t
policy_n_allowed(const struct policy *p)
{
	size_t n = 0;

	if (!p)
		return 0;
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].action == SCMP_ACT_ALLOW)
			n++;
	return n;
}

const char *
policy_name(const struct policy *p)
{
	return p ? p->name : NULL;
}

bool
policy_allows(const struct policy *p, const char *syscall)
{
	int nr;

	if (!p || !syscall)
		return false;
	nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, syscall);
	if (nr < 0)
		return false;
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].nr == nr && p->rules[i].action == SCMP_ACT_ALLOW)
			return true;
	return false;
}

static void
seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* The attributes both contexts share; seccomp_merge() refuses contexts that differ. */
static int
init_ctx(bool tree, scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* Any architecture other than x86_64/i386/x32 cannot be named by the supervisor: kill. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* The sandbox sets no_new_privs itself, before loading (caps.c). */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* Real kernel errnos from seccomp_load() instead of libseccomp's -ECANCELED. */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	/* A binary tree over the syscall numbers instead of a chain of comparisons: O(log n)
	 * for the calls the kernel's action cache does not settle, and half the cost of the
	 * load. On every load the kernel runs the filter once per syscall number to find the
	 * always-allowed ones (the action cache, under the sighand lock); for run.policy here
	 * that took a load from 200-215 us (a chain of 120 instructions) to 108-119 us (a tree
	 * of 143), which is about what a one-instruction filter costs (the JIT). libseccomp
	 * before 2.5.4 ignored the default action of a tree without rules (its issue 370): a
	 * policy of a few rules keeps the chain, where a tree buys nothing anyway. */
	if (r == 0 && tree)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret);

int
policy_compile(const struct policy *p, scmp_filter_ctx *ret)
{
	return policy_compile_layout(p, POLICY_LAYOUT_TREE, ret);
}

int
policy_compile_layout(const struct policy *p, enum policy_layout layout, scmp_filter_ctx *ret)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_(seccomp_releasep) scmp_filter_ctx compat = NULL;
	int r;

	if (!p || !ret)
		return -EINVAL;
	/* Rules are x86_64 numbers resolved at parse time; libseccomp would translate them for
	 * a different native architecture, which we have never tested. */
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return -EOPNOTSUPP;
	bool tree = layout == POLICY_LAYOUT_TREE && p->n_rules >= 8;
	r = init_ctx(tree, &ctx);
	if (r < 0)
		return r;
	/* Rules go in while the context holds x86_64 only: a rule applies to every architecture
	 * of its context, and i386/x32 must get none (32-bit calls from a 64-bit process work,
	 * KERNEL-NOTES 11, and their numbers differ). */
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *rl = &p->rules[i];
		r = seccomp_rule_add_array(ctx, rl->action, rl->nr, rl->n_conds, rl->conds);
		if (r < 0)
			return r;
	}

	/* i386 and x32 in a second context with no rules: every call there hits the default
	 * NOTIFY, so the supervisor names it instead of the kernel killing with a bare SIGSYS. */
	r = init_ctx(tree, &compat);
	if (r < 0)
		return r;
	r = seccomp_arch_add(compat, SCMP_ARCH_X86);
	if (r == 0)
		r = seccomp_arch_add(compat, SCMP_ARCH_X32);
	if (r == 0)
		r = seccomp_arch_remove(compat, SCMP_ARCH_NATIVE);
	if (r < 0)
		return r;
	r = seccomp_merge(ctx, compat);
	if (r < 0)
		return r;
	compat = NULL; /* seccomp_merge() released it */

	/* The kernel refuses programs over BPF_MAXINSNS instructions. Finding out here, at
	 * policy-check time, beats finding out in a sandbox child that cannot start. */
	_cleanup_free_ struct sock_filter *prog = NULL;
	r = export_bpf(ctx, &prog);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(ctx);
	return 0;
}

/* A classic-BPF interpreter for the subset of instructions a seccomp filter may contain (the
 * kernel's seccomp_check_filter() list), over one struct seccomp_data. */
static int
bpf_run(const struct sock_filter *f, size_t n, const struct seccomp_data *d, uint32_t *ret)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	const unsigned char *data = (const unsigned char *)d;

	for (size_t pc = 0, steps = 0; pc < n && steps <= n; pc++, steps++) {
		const struct sock_filter *in = &f[pc];
		uint32_t src = BPF_SRC(in->code) == BPF_X ? x : in->k;

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k > sizeof(*d) - 4 || in->k % 4)
				return -EINVAL;
			memcpy(&a, data + in->k, 4);
			continue;
		case BPF_LD | BPF_W | BPF_LEN:
			a = sizeof(*d);
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = sizeof(*d);
			continue;
		case BPF_LD | BPF_IMM:
			a = in->k;
			continue;
		case BPF_LDX | BPF_IMM:
			x = in->k;
			continue;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (in->k >= BPF_MEMWORDS)
				return -EINVAL;
			if (in->code == (BPF_LD | BPF_MEM))
				a = mem[in->k];
			else if (in->code == (BPF_LDX | BPF_MEM))
				x = mem[in->k];
			else
				mem[in->k] = in->code == BPF_ST ? a : x;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_RET | BPF_K:
			*ret = in->k;
			return 0;
		case BPF_RET | BPF_A:
			*ret = a;
			return 0;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			continue;
		default:
			break;
		}
		if (BPF_CLASS(in->code) == BPF_ALU) {
			switch (BPF_OP(in->code)) {
			case BPF_ADD:
				a += src;
				break;
			case BPF_SUB:
				a -= src;
				break;
			case BPF_MUL:
				a *= src;
				break;
			case BPF_DIV:
				if (!src)
					return -EINVAL;
				a /= src;
				break;
			case BPF_MOD:
				if (!src)
					return -EINVAL;
				a %= src;
				break;
			case BPF_AND:
				a &= src;
				break;
			case BPF_OR:
				a |= src;
				break;
			case BPF_XOR:
				a ^= src;
				break;
			case BPF_LSH:
				a = src < 32 ? a << src : 0;
				break;
			case BPF_RSH:
				a = src < 32 ? a >> src : 0;
				break;
			case BPF_NEG:
				a = -a;
				break;
			default:
				return -EINVAL;
			}
			continue;
		}
		if (BPF_CLASS(in->code) == BPF_JMP) {
			bool t;
			switch (BPF_OP(in->code)) {
			case BPF_JEQ:
				t = a == src;
				break;
			case BPF_JGT:
				t = a > src;
				break;
			case BPF_JGE:
				t = a >= src;
				break;
			case BPF_JSET:
				t = (a & src) != 0;
				break;
			default:
				return -EINVAL;
			}
			pc += t ? in->jt : in->jf;
			continue;
		}
		return -EINVAL;
	}
	return -EINVAL; /* ran off the end: the kernel's checker would have refused it */
}

/* Exports the BPF program of @ctx. libseccomp 2.5 exports only to an fd; a memfd keeps this off
 * the filesystem. Returns the number of instructions (stored in *ret, free() it), -E2BIG if the
 * kernel would refuse the program for its size, or -errno. */
static int
export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ struct sock_filter *prog = NULL;
	off_t size;
	ssize_t got;
	int r;

	fd = memfd_create("policy-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	if (size == 0 || size % (off_t)sizeof(struct sock_filter))
		return -EINVAL;
	if (size > BPF_MAXINSNS * (off_t)sizeof(struct sock_filter))
		return -E2BIG;
	prog = malloc((size_t)size);
	if (!prog)
		return -ENOMEM;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	got = util_read_full(fd, prog, (size_t)size);
	if (got < 0)
		return (int)got;
	if (got != size)
		return -EIO;
	*ret = TAKE_PTR(prog);
	return (int)(size / (off_t)sizeof(struct sock_filter));
}

int
policy_filter_eval(scmp_filter_ctx ctx, const struct policy_call *calls, size_t n,
		   uint32_t *ret_actions)
{
	_cleanup_free_ struct sock_filter *prog = NULL;
	int n_insns, r;

	if (!ctx || (n > 0 && (!calls || !ret_actions)))
		return -EINVAL;
	n_insns = export_bpf(ctx, &prog);
	if (n_insns < 0)
		return n_insns;
	for (size_t i = 0; i < n; i++) {
		struct seccomp_data d = {.nr = calls[i].nr, .arch = calls[i].arch};
		memcpy(d.args, calls[i].args, sizeof(d.args));
		r = bpf_run(prog, (size_t)n_insns, &d, &ret_actions[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int
policy_forbid_exec_now(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* Stacked filters only ever narrow: the strictest action of all filters wins. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execve), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execveat), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int
policy_compile_bpf(const struct policy *p, struct policy_bpf *ret)
{
	scmp_filter_ctx ctx = NULL;
	int r = policy_compile(p, &ctx);
	if (r < 0)
		return r;
	/* libseccomp 2.5.4 exports only to an fd: use an anonymous memory file. */
	int fd = memfd_create("gradebox-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		seccomp_release(ctx);
		return r;
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	off_t size = r < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (r == 0 && size > 0) {
		void *buf = malloc((size_t)size);
		if (!buf)
			r = -ENOMEM;
		else if (pread(fd, buf, (size_t)size, 0) != size)
			r = -EIO;
		if (r == 0)
			r = policy_bpf_from_bytes(buf, (size_t)size, ret);
		free(buf);
	} else if (r == 0)
		r = -EIO;
	close(fd);
	return r;
}

/* bpf.h's constants are the kernel's, spelled without its headers for the front door. */
_Static_assert(sizeof(struct sock_filter) == POLICY_BPF_INSN_SIZE, "struct sock_filter");
_Static_assert(BPF_MAXINSNS == POLICY_BPF_MAX_INSNS, "BPF_MAXINSNS");
