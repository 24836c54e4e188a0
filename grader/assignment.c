/* SPDX-License-Identifier: MIT */
/* Loads assignment.json with jansson and validates it strictly. Staff write specs, but a spec
 * names files the grader later opens as root and feeds to sandboxes, so paths are checked to
 * stay inside the assignment directory and every mistake is reported with its field path. */
#include "assignment.h"

#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/openat2.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define SPEC_MAX_BYTES (1024 * 1024)
#define MAX_TESTS      1000
#define MAX_POINTS     1e6

/* The public struct first, so assignment_free() can get back to the private part. */
struct spec {
	struct assignment pub;
	json_t *root;		       /* owned; every borrowed string points into it */
	char *dir;		       /* owned */
	char *spec_json;	       /* owned */
	struct assignment_test *tests; /* owned array */
	const char **build_argv;       /* owned array, strings borrowed */
	const char **run_argv;
	const char **expected_files;
	const char ***test_args; /* owned: per test, the args array (or NULL) */
};

struct ctx {
	struct assignment_error *err; /* may be NULL */
	const char *file;
	int dirfd;
};

static const char *const empty_argv[] = {NULL};

static int bad(struct ctx *c, const char *field, const char *fmt, ...) _printf_(3, 4);

/* Records why the spec is refused and returns -EINVAL. Only the first error is kept. */
static int
bad(struct ctx *c, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!c->err)
		return -EINVAL;
	snprintf(c->err->file, sizeof(c->err->file), "%s", c->file);
	snprintf(c->err->field, sizeof(c->err->field), "%s", field);
	va_start(ap, fmt);
	(void)vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Builds "prefix.key" (or "key" at the top level) into @buf. */
static const char *
field(char *buf, size_t size, const char *prefix, const char *key)
{
	snprintf(buf, size, "%s%s%s", prefix, *prefix ? "." : "", key);
	return buf;
}

static int
check_keys(struct ctx *c, json_t *obj, const char *prefix, const char *const *allowed, size_t n)
{
	char f[128];

	/* The iterator API rather than json_object_foreach, which clang-format cannot place. */
	for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		const char *key = json_object_iter_key(it);
		bool ok = false;
		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			char esc[128];
			return bad(c, field(f, sizeof(f), prefix, key), "unknown key '%s'",
				   log_escape(key, strlen(key), esc, sizeof(esc)));
		}
	}
	return 0;
}

/* A string without embedded NULs (jansson allows \u0000, C strings would silently cut). */
static int
string_value(struct ctx *c, json_t *v, const char *f, bool nonempty, const char **ret)
{
	if (!json_is_string(v))
		return bad(c, f, "must be a string");
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return bad(c, f, "must not contain NUL characters");
	if (nonempty && !*s)
		return bad(c, f, "must not be empty");
	*ret = s;
	return 0;
}

/* Optional string member: *ret stays NULL when absent. */
static int
get_string(struct ctx *c, json_t *obj, const char *prefix, const char *key, bool required,
	   const char **ret)
{
	char f[128];
	json_t *v = json_object_get(obj, key);

	field(f, sizeof(f), prefix, key);
	if (!v)
		return required ? bad(c, f, "is required") : 0;
	return string_value(c, v, f, true, ret);
}

/* Names end up in paths, logs and CSV exports: keep them boring. */
static bool
valid_name(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 64 && s[0] != '.' && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* --- paths --------------------------------------------------------------------------------- */

/* Syntax of a relative path: no leading '/', no empty, "." or ".." components. */
static int
check_relpath(struct ctx *c, const char *f, const char *p)
{
	if (strlen(p) >= PATH_MAX)
		return bad(c, f, "path too long");
	if (p[0] == '/')
		return bad(c, f, "must be a relative path, not '%s'", p);
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return bad(c, f, "path '%s' must not contain empty, '.' or '..' components",
				   p);
		s += n;
		if (*s == '/') {
			s++;
			if (!*s)
				return bad(c, f, "path '%s' must not end in '/'", p);
		}
	}
	return 0;
}

/* Opens @p beneath @dirfd. openat2(RESOLVE_BENEATH) lets symlinks that stay inside the
 * directory work and refuses any that lead out (absolute, or ".." above the root), atomically
 * with the open (no check-then-use race). Without openat2 (Linux < 5.6) we refuse every symlink
 * on the way, which is stricter. */
static int
open_beneath(int dirfd, const char *p)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, p, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS)
		return -errno;

	_cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	char comp[NAME_MAX + 1];
	if (cur < 0)
		return -errno;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, s, n);
		comp[n] = 0;
		s += n;
		while (*s == '/')
			s++;
		int next = openat(cur, comp,
				  (*s ? O_PATH | O_DIRECTORY : O_RDONLY | O_NOCTTY) | O_NOFOLLOW |
					  O_CLOEXEC);
		if (next < 0)
			return -errno;
		closep(&cur);
		cur = next;
	}
	return TAKE_FD(cur);
}

/* A file of the assignment: valid syntax, resolves inside the dir, is a regular file. */
static int
check_file(struct ctx *c, const char *f, const char *p, bool executable)
{
	struct stat st;
	int r = check_relpath(c, f, p);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open_beneath(c->dirfd, p);
	if (fd < 0) {
		switch (fd) {
		case -ENOENT:
			return bad(c, f, "'%s': no such file in the assignment directory", p);
		case -EXDEV:
		case -ELOOP:
			return bad(c, f, "'%s' resolves outside the assignment directory", p);
		default:
			return bad(c, f, "'%s': %s", p, strerror(-fd));
		}
	}
	if (fstat(fd, &st) < 0)
		return bad(c, f, "'%s': %m", p);
	if (!S_ISREG(st.st_mode))
		return bad(c, f, "'%s' is not a regular file", p);
	if (executable && !(st.st_mode & 0111))
		return bad(c, f, "'%s' is not executable", p);
	return 0;
}

/* --- values -------------------------------------------------------------------------------- */

/* Seconds: a JSON number or a string for util_parse_seconds_ms(). */
static int
parse_seconds(struct ctx *c, const char *f, json_t *v, uint64_t *ret)
{
	uint64_t ms;

	if (json_is_number(v)) {
		double d = json_number_value(v);
		if (!isfinite(d) || d < 0)
			return bad(c, f, "must be a positive number of seconds");
		if (d > 1e7)
			return bad(c, f, "too large");
		ms = (uint64_t)llround(d * 1000.0);
	} else if (json_is_string(v)) {
		int r = util_parse_seconds_ms(json_string_value(v), &ms);
		if (r == -ERANGE)
			return bad(c, f, "too large");
		if (r < 0)
			return bad(c, f, "'%s' is not a number of seconds", json_string_value(v));
	} else
		return bad(c, f, "must be a number of seconds");
	if (ms == 0)
		return bad(c, f, "must be at least 1 ms");
	*ret = ms;
	return 0;
}

/* Bytes: a JSON integer or a string such as "256M" for util_parse_size(). */
static int
parse_bytes(struct ctx *c, const char *f, json_t *v, uint64_t *ret)
{
	uint64_t b;

	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return bad(c, f, "must be positive");
		b = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		int r = util_parse_size(json_string_value(v), &b);
		if (r == -ERANGE)
			return bad(c, f, "too large");
		if (r < 0)
			return bad(c, f, "'%s' is not a size (like \"64M\", \"512k\", \"4096\")",
				   json_string_value(v));
	} else
		return bad(c, f, "must be an integer or a size string like \"256M\"");
	if (b == 0)
		return bad(c, f, "must be positive");
	*ret = b;
	return 0;
}

/* A count: a JSON integer or a decimal string. */
static int
parse_count(struct ctx *c, const char *f, json_t *v, uint64_t *ret)
{
	uint64_t n;

	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return bad(c, f, "must be positive");
		n = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		if (util_parse_u64(json_string_value(v), &n) < 0)
			return bad(c, f, "'%s' is not a count", json_string_value(v));
	} else
		return bad(c, f, "must be an integer");
	if (n == 0)
		return bad(c, f, "must be positive");
	*ret = n;
	return 0;
}

static int
parse_limits(struct ctx *c, json_t *obj, const char *prefix, struct assignment_limits *l)
{
	static const char *const keys[] = {"cpu_time", "wall_time", "memory",	 "pids",
					   "output",   "disk",	    "file_size", "open_files"};
	char f[128];
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return bad(c, prefix, "must be an object");
	r = check_keys(c, obj, prefix, keys, ELEMENTSOF(keys));
	if (r < 0)
		return r;
#define LIMIT(key, fn, dst)                                            \
	if ((v = json_object_get(obj, key)) &&                         \
	    (r = fn(c, field(f, sizeof(f), prefix, key), v, dst)) < 0) \
		return r;
	LIMIT("cpu_time", parse_seconds, &l->cpu_time_ms);
	LIMIT("wall_time", parse_seconds, &l->wall_time_ms);
	LIMIT("memory", parse_bytes, &l->memory);
	LIMIT("pids", parse_count, &l->pids);
	LIMIT("output", parse_bytes, &l->output);
	LIMIT("disk", parse_bytes, &l->disk);
	LIMIT("file_size", parse_bytes, &l->file_size);
	LIMIT("open_files", parse_count, &l->open_files);
#undef LIMIT
	return 0;
}

static void
merge_limits(struct assignment_limits *dst, const struct assignment_limits *base,
	     const struct assignment_limits *over)
{
	*dst = *base;
#define OVER(x)      \
	if (over->x) \
		dst->x = over->x;
	OVER(cpu_time_ms);
	OVER(wall_time_ms);
	OVER(memory);
	OVER(pids);
	OVER(output);
	OVER(disk);
	OVER(file_size);
	OVER(open_files);
#undef OVER
}

/* An array of non-empty strings into a NULL-terminated array of borrowed pointers. */
static int
string_array(struct ctx *c, json_t *v, const char *f, bool nonempty_array, const char ***ret,
	     size_t *ret_n)
{
	_cleanup_free_ const char **a = NULL;
	char ef[128];
	size_t n;
	int r;

	if (!json_is_array(v))
		return bad(c, f, "must be an array of strings");
	n = json_array_size(v);
	if (nonempty_array && n == 0)
		return bad(c, f, "must not be empty");
	if (n > 4096)
		return bad(c, f, "too many elements");
	a = calloc(n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(ef, sizeof(ef), "%s[%zu]", f, i);
		r = string_value(c, json_array_get(v, i), ef, true, &a[i]);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(a);
	*ret_n = n;
	return 0;
}

/* "build"/"run": an argv array, or a string run by /bin/sh -c. */
static int
parse_command(struct ctx *c, json_t *v, const char *f, struct assignment_command *cmd,
	      const char ***owned)
{
	const char **a = NULL;
	size_t n;
	int r;

	if (json_is_string(v)) {
		const char *s;
		r = string_value(c, v, f, true, &s);
		if (r < 0)
			return r;
		a = calloc(4, sizeof(*a));
		if (!a)
			return -ENOMEM;
		a[0] = "/bin/sh";
		a[1] = "-c";
		a[2] = s;
		n = 3;
		cmd->shell = true;
	} else if (json_is_array(v)) {
		r = string_array(c, v, f, true, &a, &n);
		if (r < 0)
			return r;
	} else
		return bad(c, f, "must be a command: an array of strings, or a string for /bin/sh");
	*owned = a;
	cmd->argv = a;
	cmd->argc = n;
	return 0;
}

/* ISO-8601 date and time with a zone: YYYY-MM-DDTHH:MM[:SS[.fff]](Z|+HH:MM|-HH:MM). A local
 * time without a zone is refused: the server's zone is not the course's. */
static int
parse_due(struct ctx *c, const char *f, const char *s, int64_t *ret)
{
	int Y, M, D, h, m, sec = 0, oh = 0, om = 0, n = 0, sign = 1;
	struct tm tm = {0};
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &Y, &M, &D, &h, &m, &n) != 5 || n != 16)
		return bad(c, f, "'%s' is not an ISO-8601 date and time like 2026-12-01T23:59:00Z",
			   s);
	p = s + n;
	if (*p == ':') {
		if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
			return bad(c, f, "'%s': bad seconds", s);
		sec = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == '.') {
			p++;
			if (!(*p >= '0' && *p <= '9'))
				return bad(c, f, "'%s': bad fraction of a second", s);
			while (*p >= '0' && *p <= '9')
				p++; /* sub-second precision is below what a due date means */
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
			return bad(c, f, "'%s': bad time zone offset", s);
		p += 1 + n;
	} else
		return bad(c, f, "'%s' needs a time zone (Z or +HH:MM)", s);
	if (*p)
		return bad(c, f, "'%s': trailing characters", s);
	if (Y < 1970 || Y > 9999 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 ||
	    m > 59 || sec > 59 || (M == 2 && D == 29 && !(Y % 4 == 0 && (Y % 100 || Y % 400 == 0))))
		return bad(c, f, "'%s' is not a valid date and time", s);
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	*ret = ((int64_t)t - sign * (oh * 3600 + om * 60)) * 1000;
	return 0;
}

/* --- the spec ------------------------------------------------------------------------------ */

static int
parse_checker(struct ctx *c, json_t *v, struct assignment *a)
{
	static const char *const keys[] = {"float", "program"};
	int r;

	if (!v) {
		a->checker = ASSIGNMENT_CHECKER_EXACT;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strcmp(s, "exact") == 0)
			a->checker = ASSIGNMENT_CHECKER_EXACT;
		else if (strcmp(s, "tokens") == 0)
			a->checker = ASSIGNMENT_CHECKER_TOKENS;
		else
			return bad(c, "checker",
				   "must be \"exact\", \"tokens\", {\"float\": tolerance} or"
				   " {\"program\": path}");
		return 0;
	}
	if (!json_is_object(v) || json_object_size(v) != 1)
		return bad(c, "checker",
			   "must be \"exact\", \"tokens\", {\"float\": tolerance} or {\"program\": "
			   "path}");
	r = check_keys(c, v, "checker", keys, ELEMENTSOF(keys));
	if (r < 0)
		return r;

	json_t *fl = json_object_get(v, "float");
	if (fl) {
		static const char *const tkeys[] = {"absolute", "relative"};
		a->checker = ASSIGNMENT_CHECKER_FLOAT;
		if (json_is_number(fl)) {
			a->float_abs_tol = a->float_rel_tol = json_number_value(fl);
		} else if (json_is_object(fl)) {
			r = check_keys(c, fl, "checker.float", tkeys, ELEMENTSOF(tkeys));
			if (r < 0)
				return r;
			json_t *ab = json_object_get(fl, "absolute"),
			       *re = json_object_get(fl, "relative");
			if (!ab && !re)
				return bad(c, "checker.float",
					   "needs \"absolute\" or \"relative\"");
			if ((ab && !json_is_number(ab)) || (re && !json_is_number(re)))
				return bad(c,
					   ab && !json_is_number(ab) ? "checker.float.absolute"
								     : "checker.float.relative",
					   "must be a number");
			a->float_abs_tol = ab ? json_number_value(ab) : 0;
			a->float_rel_tol = re ? json_number_value(re) : 0;
		} else
			return bad(c, "checker.float",
				   "must be a tolerance or {\"absolute\": x, \"relative\": y}");
		if (!isfinite(a->float_abs_tol) || !isfinite(a->float_rel_tol) ||
		    a->float_abs_tol < 0 || a->float_rel_tol < 0 || a->float_abs_tol > 1e9 ||
		    a->float_rel_tol > 1)
			return bad(c, "checker.float",
				   "tolerances must be >= 0 (absolute <= 1e9, relative <= 1)");
		return 0;
	}
	a->checker = ASSIGNMENT_CHECKER_PROGRAM;
	r = string_value(c, json_object_get(v, "program"), "checker.program", true,
			 &a->checker_program);
	if (r < 0)
		return r;
	return check_file(c, "checker.program", a->checker_program, true);
}

static int
parse_test(struct ctx *c, struct spec *sp, json_t *v, size_t i, struct assignment_test *t)
{
	static const char *const keys[] = {"name",	 "input",	    "stdin",
					   "expected",	 "expected_stdout", "points",
					   "visibility", "limits",	    "args"};
	struct assignment_limits own = {0};
	char p[64], f[128];
	json_t *x;
	int r;

	snprintf(p, sizeof(p), "tests[%zu]", i);
	if (!json_is_object(v))
		return bad(c, p, "must be an object");
	r = check_keys(c, v, p, keys, ELEMENTSOF(keys));
	if (r < 0)
		return r;

	r = get_string(c, v, p, "name", true, &t->name);
	if (r < 0)
		return r;
	if (!valid_name(t->name))
		return bad(c, field(f, sizeof(f), p, "name"),
			   "'%s' must be 1-64 characters of A-Z a-z 0-9 . _ - (not starting with . "
			   "or -)",
			   t->name);

	if (json_object_get(v, "input") && json_object_get(v, "stdin"))
		return bad(c, field(f, sizeof(f), p, "stdin"),
			   "give either \"input\" (a file) or \"stdin\" (a string), not both");
	r = get_string(c, v, p, "input", false, &t->input);
	if (r < 0)
		return r;
	if (t->input && (r = check_file(c, field(f, sizeof(f), p, "input"), t->input, false)) < 0)
		return r;
	/* Literal stdin may be empty: a program that must cope with no input. */
	if ((x = json_object_get(v, "stdin")) &&
	    (r = string_value(c, x, field(f, sizeof(f), p, "stdin"), false, &t->stdin_text)) < 0)
		return r;

	if (json_object_get(v, "expected") && json_object_get(v, "expected_stdout"))
		return bad(c, field(f, sizeof(f), p, "expected_stdout"),
			   "give either \"expected\" (a file) or \"expected_stdout\", not both");
	r = get_string(c, v, p, "expected", false, &t->expected);
	if (r < 0)
		return r;
	if (t->expected &&
	    (r = check_file(c, field(f, sizeof(f), p, "expected"), t->expected, false)) < 0)
		return r;
	if ((x = json_object_get(v, "expected_stdout")) &&
	    (r = string_value(c, x, field(f, sizeof(f), p, "expected_stdout"), false,
			      &t->expected_stdout)) < 0)
		return r;
	if (!t->expected && !t->expected_stdout && sp->pub.checker != ASSIGNMENT_CHECKER_PROGRAM)
		return bad(
			c, field(f, sizeof(f), p, "expected"),
			"is required (\"expected\" or \"expected_stdout\") unless the checker is a"
			" program");

	t->points = 1;
	if ((x = json_object_get(v, "points"))) {
		if (!json_is_number(x))
			return bad(c, field(f, sizeof(f), p, "points"), "must be a number");
		t->points = json_number_value(x);
		if (!isfinite(t->points) || t->points < 0 || t->points > MAX_POINTS)
			return bad(c, field(f, sizeof(f), p, "points"), "must be between 0 and %g",
				   MAX_POINTS);
	}

	t->visibility = ASSIGNMENT_VISIBLE;
	const char *vis = NULL;
	r = get_string(c, v, p, "visibility", false, &vis);
	if (r < 0)
		return r;
	if (vis) {
		if (strcmp(vis, "visible") == 0)
			t->visibility = ASSIGNMENT_VISIBLE;
		else if (strcmp(vis, "hidden") == 0)
			t->visibility = ASSIGNMENT_HIDDEN;
		else if (strcmp(vis, "after_due_date") == 0)
			t->visibility = ASSIGNMENT_AFTER_DUE_DATE;
		else
			return bad(c, field(f, sizeof(f), p, "visibility"),
				   "must be \"visible\", \"hidden\" or \"after_due_date\"");
	}

	if ((x = json_object_get(v, "limits")) &&
	    (r = parse_limits(c, x, field(f, sizeof(f), p, "limits"), &own)) < 0)
		return r;
	merge_limits(&t->limits, &sp->pub.limits, &own);

	t->args = empty_argv;
	if ((x = json_object_get(v, "args"))) {
		r = string_array(c, x, field(f, sizeof(f), p, "args"), false, &sp->test_args[i],
				 &t->n_args);
		if (r < 0)
			return r;
		t->args = sp->test_args[i];
	}
	return 0;
}

static int
parse_spec(struct ctx *c, struct spec *sp)
{
	static const char *const keys[] = {
		"name",	  "title",	  "due",     "language", "build",	   "run",
		"limits", "build_limits", "checker", "tests",	 "expected_files", "security"};
	struct assignment *a = &sp->pub;
	json_t *root = sp->root, *v;
	const char *s = NULL;
	int r;

	if (!json_is_object(root))
		return bad(c, "", "the spec must be a JSON object");
	r = check_keys(c, root, "", keys, ELEMENTSOF(keys));
	if (r < 0)
		return r;

	r = get_string(c, root, "", "name", true, &a->name);
	if (r < 0)
		return r;
	if (!valid_name(a->name))
		return bad(c, "name",
			   "'%s' must be 1-64 characters of A-Z a-z 0-9 . _ - (not starting with . "
			   "or -)",
			   a->name);
	r = get_string(c, root, "", "title", false, &a->title);
	if (r < 0)
		return r;
	r = get_string(c, root, "", "due", false, &s);
	if (r < 0)
		return r;
	if (s) {
		r = parse_due(c, "due", s, &a->due_ms);
		if (r < 0)
			return r;
		a->has_due = true;
	}

	s = NULL;
	r = get_string(c, root, "", "language", true, &s);
	if (r < 0)
		return r;
	if (strcmp(s, "c") == 0)
		a->language = ASSIGNMENT_LANGUAGE_C;
	else if (strcmp(s, "python3") == 0)
		a->language = ASSIGNMENT_LANGUAGE_PYTHON3;
	else if (strcmp(s, "make") == 0)
		a->language = ASSIGNMENT_LANGUAGE_MAKE;
	else
		return bad(c, "language", "must be \"c\", \"python3\" or \"make\"");

	/* Limits come before tests, which inherit them. */
	if ((v = json_object_get(root, "limits")) &&
	    (r = parse_limits(c, v, "limits", &a->limits)) < 0)
		return r;
	if ((v = json_object_get(root, "build_limits")) &&
	    (r = parse_limits(c, v, "build_limits", &a->build_limits)) < 0)
		return r;

	if ((v = json_object_get(root, "build"))) {
		r = parse_command(c, v, "build", &a->build, &sp->build_argv);
		if (r < 0)
			return r;
	} else if (a->language != ASSIGNMENT_LANGUAGE_PYTHON3)
		return bad(c, "build", "is required for language \"%s\"",
			   assignment_language_to_string(a->language));
	v = json_object_get(root, "run");
	if (!v)
		return bad(c, "run", "is required");
	r = parse_command(c, v, "run", &a->run, &sp->run_argv);
	if (r < 0)
		return r;

	r = parse_checker(c, json_object_get(root, "checker"), a);
	if (r < 0)
		return r;

	a->expected_files = empty_argv;
	if ((v = json_object_get(root, "expected_files"))) {
		r = string_array(c, v, "expected_files", false, &sp->expected_files,
				 &a->n_expected_files);
		if (r < 0)
			return r;
		a->expected_files = sp->expected_files;
		for (size_t i = 0; i < a->n_expected_files; i++) {
			char f[64];
			snprintf(f, sizeof(f), "expected_files[%zu]", i);
			r = check_relpath(c, f, a->expected_files[i]);
			if (r < 0)
				return r;
			for (size_t j = 0; j < i; j++)
				if (strcmp(a->expected_files[i], a->expected_files[j]) == 0)
					return bad(c, f, "'%s' listed twice", a->expected_files[i]);
		}
	}

	a->on_violation = ASSIGNMENT_VIOLATION_FLAG;
	if ((v = json_object_get(root, "security"))) {
		static const char *const skeys[] = {"on_violation"};
		if (!json_is_object(v))
			return bad(c, "security", "must be an object");
		r = check_keys(c, v, "security", skeys, ELEMENTSOF(skeys));
		if (r < 0)
			return r;
		s = NULL;
		r = get_string(c, v, "security", "on_violation", false, &s);
		if (r < 0)
			return r;
		if (s && strcmp(s, "fail") == 0)
			a->on_violation = ASSIGNMENT_VIOLATION_FAIL;
		else if (s && strcmp(s, "flag") != 0)
			return bad(c, "security.on_violation", "must be \"flag\" or \"fail\"");
	}

	v = json_object_get(root, "tests");
	if (!v)
		return bad(c, "tests", "is required");
	if (!json_is_array(v))
		return bad(c, "tests", "must be an array");
	if (json_array_size(v) == 0)
		return bad(c, "tests", "must not be empty");
	if (json_array_size(v) > MAX_TESTS)
		return bad(c, "tests", "more than %d tests", MAX_TESTS);
	sp->tests = calloc(json_array_size(v), sizeof(*sp->tests));
	sp->test_args = calloc(json_array_size(v), sizeof(*sp->test_args));
	if (!sp->tests || !sp->test_args)
		return -ENOMEM;
	a->tests = sp->tests;
	for (size_t i = 0; i < json_array_size(v); i++) {
		/* Counted as we go: assignment_free() walks the tests parsed so far. */
		a->n_tests = i + 1;
		r = parse_test(c, sp, json_array_get(v, i), i, &sp->tests[i]);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(sp->tests[i].name, sp->tests[j].name) == 0) {
				char f[64];
				snprintf(f, sizeof(f), "tests[%zu].name", i);
				return bad(c, f, "'%s' is also the name of tests[%zu]",
					   sp->tests[i].name, j);
			}
		a->max_score += sp->tests[i].points;
	}
	return 0;
}

int
assignment_load(const char *dir, struct assignment **ret, struct assignment_error *reterr)
{
	_cleanup_(assignment_freep) struct assignment *a = NULL;
	_cleanup_close_ int dirfd = -1, fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct assignment_error err = {0};
	char file[PATH_MAX];
	struct ctx c = {.err = &err, .file = file};
	json_error_t jerr;
	struct stat st;
	ssize_t n;
	int r;

	snprintf(file, sizeof(file), "%s/%s", dir, ASSIGNMENT_SPEC_FILE);
	struct spec *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	a = &sp->pub;
	sp->dir = strdup(dir);
	if (!sp->dir)
		return -ENOMEM;
	a->dir = sp->dir;

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = -errno;
		(void)bad(&c, "", "cannot open the assignment directory: %s", strerror(-r));
		goto fail;
	}
	c.dirfd = dirfd;
	fd = openat(dirfd, ASSIGNMENT_SPEC_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		(void)bad(&c, "", "%s", r == -ELOOP ? "is a symlink" : strerror(-r));
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SPEC_MAX_BYTES) {
		r = bad(&c, "", "must be a regular file of at most %d bytes", SPEC_MAX_BYTES);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = util_read_full(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		r = (int)n;
		(void)bad(&c, "", "read failed: %s", strerror(-r));
		goto fail;
	}

	/* Duplicate keys would make "which value wins" a jansson implementation detail. */
	sp->root = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	if (!sp->root) {
		r = bad(&c, "", "invalid JSON: %s", jerr.text);
		err.line = jerr.line;
		err.column = jerr.column;
		goto fail;
	}
	r = parse_spec(&c, sp);
	if (r < 0)
		goto fail;
	sp->spec_json = json_dumps(sp->root, JSON_COMPACT | JSON_SORT_KEYS);
	if (!sp->spec_json)
		return -ENOMEM;
	a->spec_json = sp->spec_json;
	*ret = TAKE_PTR(a);
	return 0;
fail:
	if (reterr)
		*reterr = err;
	return r;
}

struct assignment *
assignment_free(struct assignment *a)
{
	struct spec *sp = (struct spec *)a;

	if (!a)
		return NULL;
	for (size_t i = 0; sp->test_args && i < a->n_tests; i++)
		free(sp->test_args[i]);
	free(sp->test_args);
	free(sp->tests);
	free(sp->build_argv);
	free(sp->run_argv);
	free(sp->expected_files);
	free(sp->spec_json);
	free(sp->dir);
	json_decref(sp->root);
	free(sp);
	return NULL;
}

const char *
assignment_language_to_string(enum assignment_language l)
{
	switch (l) {
	case ASSIGNMENT_LANGUAGE_C:
		return "c";
	case ASSIGNMENT_LANGUAGE_PYTHON3:
		return "python3";
	case ASSIGNMENT_LANGUAGE_MAKE:
		return "make";
	case _ASSIGNMENT_LANGUAGE_MAX:
	case _ASSIGNMENT_LANGUAGE_INVALID:
		break;
	}
	return NULL;
}

const char *
assignment_visibility_to_string(enum assignment_visibility v)
{
	switch (v) {
	case ASSIGNMENT_VISIBLE:
		return "visible";
	case ASSIGNMENT_HIDDEN:
		return "hidden";
	case ASSIGNMENT_AFTER_DUE_DATE:
		return "after_due_date";
	case _ASSIGNMENT_VISIBILITY_MAX:
	case _ASSIGNMENT_VISIBILITY_INVALID:
		break;
	}
	return NULL;
}

const char *
assignment_checker_to_string(enum assignment_checker c)
{
	switch (c) {
	case ASSIGNMENT_CHECKER_EXACT:
		return "exact";
	case ASSIGNMENT_CHECKER_TOKENS:
		return "tokens";
	case ASSIGNMENT_CHECKER_FLOAT:
		return "float";
	case ASSIGNMENT_CHECKER_PROGRAM:
		return "program";
	case _ASSIGNMENT_CHECKER_MAX:
	case _ASSIGNMENT_CHECKER_INVALID:
		break;
	}
	return NULL;
}
