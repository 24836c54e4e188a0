/* SPDX-License-Identifier: MIT */
/* grader/assignment.c: a full good spec parses into the expected struct, and every kind of bad
 * spec is refused with the right field path and reason. Specs live in a mkdtemp directory with
 * real test files and symlinks (one pointing inside, two leading out). */
#include "assignment.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>

struct adir {
	char path[64];
};

static void
adir_done(struct adir *d)
{
	if (d->path[0])
		(void)util_rm_rf(d->path);
}

static int
put(const char *dir, const char *name, const char *content, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, content, strlen(content));
}

/* in/1.txt in/2.txt out/1.txt out/2.txt check.sh (executable) sub/ link-in -> in/1.txt,
 * link-abs -> /etc/passwd, link-up -> ../../etc/passwd */
static int
adir_make(struct adir *d)
{
	char p[256];

	snprintf(d->path, sizeof(d->path), "/tmp/gradebox-test-assignment.XXXXXX");
	if (!mkdtemp(d->path)) {
		d->path[0] = 0;
		return -errno;
	}
	const char *dirs[] = {"in", "out", "sub"};
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(p, sizeof(p), "%s/%s", d->path, dirs[i]);
		if (mkdir(p, 0755) < 0)
			return -errno;
	}
	if (put(d->path, "in/1.txt", "1 2\n", 0644) < 0 ||
	    put(d->path, "in/2.txt", "3 4\n", 0644) < 0 ||
	    put(d->path, "out/1.txt", "3\n", 0644) < 0 ||
	    put(d->path, "out/2.txt", "7\n", 0644) < 0 ||
	    put(d->path, "check.sh", "#!/bin/sh\nexit 0\n", 0755) < 0)
		return -EIO;
	struct {
		const char *target, *name;
	} links[] = {{"in/1.txt", "link-in"},
		     {"/etc/passwd", "link-abs"},
		     {"../../etc/passwd", "link-up"}};
	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		snprintf(p, sizeof(p), "%s/%s", d->path, links[i].name);
		if (symlink(links[i].target, p) < 0)
			return -errno;
	}
	return 0;
}

static int
load(struct adir *d, const char *json, struct assignment **ret, struct assignment_error *err)
{
	int r = put(d->path, ASSIGNMENT_SPEC_FILE, json, 0644);
	if (r < 0)
		return r;
	*err = (struct assignment_error){0};
	return assignment_load(d->path, ret, err);
}

static const char good[] =
	"{\n"
	"  \"name\": \"sum\",\n"
	"  \"title\": \"Add two numbers\",\n"
	"  \"due\": \"2026-12-01T23:59:00+01:00\",\n"
	"  \"language\": \"c\",\n"
	"  \"build\": \"cc -O2 -o sum sum.c\",\n"
	"  \"run\": [\"./sum\", \"--quiet\"],\n"
	"  \"limits\": {\"cpu_time\": 1.5, \"wall_time\": \"3\", \"memory\": \"256M\", \"pids\": "
	"16,\n"
	"             \"output\": \"1M\", \"disk\": 1048576, \"file_size\": \"64k\", "
	"\"open_files\": \"32\"},\n"
	"  \"build_limits\": {\"cpu_time\": 10, \"memory\": \"1G\"},\n"
	"  \"checker\": {\"float\": {\"absolute\": 1e-6, \"relative\": 1e-9}},\n"
	"  \"expected_files\": [\"sum.c\", \"src/util.h\"],\n"
	"  \"security\": {\"on_violation\": \"fail\"},\n"
	"  \"tests\": [\n"
	"    {\"name\": \"small\", \"input\": \"in/1.txt\", \"expected\": \"out/1.txt\", "
	"\"points\": 2},\n"
	"    {\"name\": \"big\", \"input\": \"link-in\", \"expected\": \"out/2.txt\", \"points\": "
	"0.5,\n"
	"     \"visibility\": \"hidden\", \"limits\": {\"cpu_time\": 0.25, \"memory\": \"512M\"},\n"
	"     \"args\": [\"-v\", \"--x=1\"]},\n"
	"    {\"name\": \"empty\", \"stdin\": \"\", \"expected_stdout\": \"0\\n\",\n"
	"     \"visibility\": \"after_due_date\"}\n"
	"  ]\n"
	"}\n";

static int
t_good_spec(void)
{
	_cleanup_(adir_done) struct adir d = {0};
	_cleanup_(assignment_freep) struct assignment *a = NULL;
	struct assignment_error err;

	CHECK_EQ_INT(adir_make(&d), 0);
	int r = load(&d, good, &a, &err);
	if (r < 0)
		printf("# %s: %s: %s\n", err.file, err.field, err.message);
	CHECK_EQ_INT(r, 0);
	CHECK_STREQ(a->name, "sum");
	CHECK_STREQ(a->title, "Add two numbers");
	CHECK(a->has_due);
	CHECK_EQ_INT(a->due_ms, 1796165940000LL); /* 2026-12-01T22:59:00Z */
	CHECK_EQ_INT(a->language, ASSIGNMENT_LANGUAGE_C);
	CHECK(a->build.shell);
	CHECK_EQ_INT(a->build.argc, 3);
	CHECK_STREQ(a->build.argv[0], "/bin/sh");
	CHECK_STREQ(a->build.argv[2], "cc -O2 -o sum sum.c");
	CHECK(a->build.argv[3] == NULL);
	CHECK(!a->run.shell);
	CHECK_EQ_INT(a->run.argc, 2);
	CHECK_STREQ(a->run.argv[1], "--quiet");
	CHECK(a->run.argv[2] == NULL);
	CHECK_EQ_INT(a->limits.cpu_time_ms, 1500);
	CHECK_EQ_INT(a->limits.wall_time_ms, 3000);
	CHECK_EQ_INT(a->limits.memory, 256ULL << 20);
	CHECK_EQ_INT(a->limits.pids, 16);
	CHECK_EQ_INT(a->limits.output, 1 << 20);
	CHECK_EQ_INT(a->limits.disk, 1048576);
	CHECK_EQ_INT(a->limits.file_size, 64 << 10);
	CHECK_EQ_INT(a->limits.open_files, 32);
	CHECK_EQ_INT(a->build_limits.cpu_time_ms, 10000);
	CHECK_EQ_INT(a->build_limits.memory, 1ULL << 30);
	CHECK_EQ_INT(a->build_limits.pids, 0); /* unset: the server's default */
	CHECK_EQ_INT(a->checker, ASSIGNMENT_CHECKER_FLOAT);
	CHECK(a->float_abs_tol == 1e-6 && a->float_rel_tol == 1e-9);
	CHECK_EQ_INT(a->n_expected_files, 2);
	CHECK_STREQ(a->expected_files[1], "src/util.h");
	CHECK(a->expected_files[2] == NULL);
	CHECK_EQ_INT(a->on_violation, ASSIGNMENT_VIOLATION_FAIL);
	CHECK_EQ_INT(a->n_tests, 3);
	CHECK(a->max_score == 3.5);

	const struct assignment_test *t = a->tests;
	CHECK_STREQ(t[0].name, "small");
	CHECK_STREQ(t[0].input, "in/1.txt");
	CHECK_STREQ(t[0].expected, "out/1.txt");
	CHECK(t[0].points == 2);
	CHECK_EQ_INT(t[0].visibility, ASSIGNMENT_VISIBLE);
	CHECK_EQ_INT(t[0].n_args, 0);
	CHECK(t[0].args && t[0].args[0] == NULL);
	CHECK_EQ_INT(t[0].limits.cpu_time_ms, 1500);
	/* Overrides apply per field; the rest is inherited. */
	CHECK_EQ_INT(t[1].limits.cpu_time_ms, 250);
	CHECK_EQ_INT(t[1].limits.memory, 512ULL << 20);
	CHECK_EQ_INT(t[1].limits.pids, 16);
	CHECK_EQ_INT(t[1].visibility, ASSIGNMENT_HIDDEN);
	CHECK_EQ_INT(t[1].n_args, 2);
	CHECK_STREQ(t[1].args[1], "--x=1");
	CHECK_STREQ(t[1].input, "link-in"); /* a symlink that stays inside is fine */
	CHECK_STREQ(t[2].stdin_text, "");
	CHECK(t[2].input == NULL && t[2].expected == NULL);
	CHECK_STREQ(t[2].expected_stdout, "0\n");
	CHECK(t[2].points == 1); /* default */
	CHECK_EQ_INT(t[2].visibility, ASSIGNMENT_AFTER_DUE_DATE);
	CHECK_STREQ(assignment_visibility_to_string(t[2].visibility), "after_due_date");

	CHECK(strncmp(a->spec_json, "{\"build\":", 9) == 0); /* compact, sorted */
	CHECK(!strchr(a->spec_json, '\n'));
	return 0;
}

static int
t_minimal_python_and_program_checker(void)
{
	_cleanup_(adir_done) struct adir d = {0};
	_cleanup_(assignment_freep) struct assignment *a = NULL;
	struct assignment_error err;

	CHECK_EQ_INT(adir_make(&d), 0);
	CHECK_EQ_INT(
		load(&d,
		     "{\"name\": \"py\", \"language\": \"python3\", \"run\": \"python3 main.py\","
		     " \"checker\": {\"program\": \"check.sh\"},"
		     " \"tests\": [{\"name\": \"a\"}, {\"name\": \"b\", \"checker_ignored\": 1}]}",
		     &a, &err),
		-EINVAL);
	CHECK_STREQ(err.field, "tests[1].checker_ignored");
	CHECK_EQ_INT(
		load(&d,
		     "{\"name\": \"py\", \"language\": \"python3\", \"run\": \"python3 main.py\","
		     " \"checker\": {\"program\": \"check.sh\"}, \"checker\": \"tokens\","
		     " \"tests\": [{\"name\": \"a\"}]}",
		     &a, &err),
		-EINVAL);
	CHECK(strstr(err.message, "invalid JSON")); /* duplicate key */
	CHECK_EQ_INT(
		load(&d,
		     "{\"name\": \"py\", \"language\": \"python3\", \"run\": \"python3 main.py\","
		     " \"checker\": {\"program\": \"check.sh\"}, \"tests\": [{\"name\": \"a\"}]}",
		     &a, &err),
		0);
	CHECK(a->build.argv == NULL);
	CHECK(!a->has_due);
	CHECK_EQ_INT(a->checker, ASSIGNMENT_CHECKER_PROGRAM);
	CHECK_STREQ(a->checker_program, "check.sh");
	CHECK_EQ_INT(a->on_violation, ASSIGNMENT_VIOLATION_FLAG);
	CHECK_EQ_INT(a->n_expected_files, 0);
	CHECK(a->expected_files && a->expected_files[0] == NULL);
	return 0;
}

static int
t_missing_or_symlinked_spec_file(void)
{
	_cleanup_(adir_done) struct adir d = {0};
	struct assignment *a = NULL;
	struct assignment_error err = {0};
	char p[256];

	CHECK_EQ_INT(adir_make(&d), 0);
	CHECK_EQ_INT(assignment_load(d.path, &a, &err), -ENOENT);
	CHECK(strstr(err.file, ASSIGNMENT_SPEC_FILE));
	snprintf(p, sizeof(p), "%s/%s", d.path, ASSIGNMENT_SPEC_FILE);
	CHECK(symlink("/etc/hostname", p) == 0);
	CHECK(assignment_load(d.path, &a, &err) < 0);
	CHECK(a == NULL);
	CHECK_EQ_INT(assignment_load("/nonexistent-gradebox", &a, &err), -ENOENT);
	return 0;
}

#define HEAD		 "\"name\":\"hw\",\"language\":\"c\",\"build\":\"make\",\"run\":[\"./prog\"]"
#define T1		 "{\"name\":\"t1\",\"input\":\"in/1.txt\",\"expected\":\"out/1.txt\"}"
#define T2		 "{\"name\":\"t2\",\"input\":\"in/2.txt\",\"expected\":\"out/2.txt\"}"
#define SPEC(extra)	 "{" HEAD ",\"tests\":[" T1 "," T2 "]" extra "}"
#define SPEC_T(t, extra) "{" HEAD ",\"tests\":[" t "]" extra "}"

static const struct {
	const char *json;
	const char *field;
	const char *reason; /* substring of the message */
} bad_specs[] = {
	{"[]", "", "must be a JSON object"},
	{"{", "", "invalid JSON"},
	{SPEC(",\"nmae\":1"), "nmae", "unknown key 'nmae'"},
	{"{\"language\":\"c\",\"build\":\"make\",\"run\":\"x\",\"tests\":[" T1 "]}", "name",
	 "is required"},
	{"{\"name\":\"../x\",\"language\":\"c\",\"build\":\"make\",\"run\":\"x\",\"tests\":[" T1
	 "]}",
	 "name", "1-64 characters"},
	{"{\"name\":\"a\\u0000b\",\"language\":\"c\",\"build\":\"make\",\"run\":\"x\",\"tests\":"
	 "[" T1 "]}",
	 "", "invalid JSON"}, /* jansson refuses \u0000 before we see it */
	{"{\"name\":7,\"language\":\"c\",\"build\":\"make\",\"run\":\"x\",\"tests\":[" T1 "]}",
	 "name", "must be a string"},
	{"{\"name\":\"hw\",\"language\":\"java\",\"build\":\"make\",\"run\":\"x\",\"tests\":[" T1
	 "]}",
	 "language", "must be \"c\""},
	{"{\"name\":\"hw\",\"language\":\"c\",\"run\":\"x\",\"tests\":[" T1 "]}", "build",
	 "is required for language \"c\""},
	{"{\"name\":\"hw\",\"language\":\"make\",\"build\":\"make\",\"tests\":[" T1 "]}", "run",
	 "is required"},
	{"{\"name\":\"hw\",\"language\":\"c\",\"build\":\"make\",\"run\":5,\"tests\":[" T1 "]}",
	 "run", "must be a command"},
	{"{\"name\":\"hw\",\"language\":\"c\",\"build\":\"make\",\"run\":[],\"tests\":[" T1 "]}",
	 "run", "must not be empty"},
	{"{\"name\":\"hw\",\"language\":\"c\",\"build\":[\"cc\",3],\"run\":\"x\",\"tests\":[" T1
	 "]}",
	 "build[1]", "must be a string"},
	{"{\"name\":\"hw\",\"language\":\"c\",\"build\":\"\",\"run\":\"x\",\"tests\":[" T1 "]}",
	 "build", "must not be empty"},
	{SPEC(",\"limits\":{\"memory\":\"lots\"}"), "limits.memory", "not a size"},
	{SPEC(",\"limits\":{\"memory\":1.5}"), "limits.memory", "integer or a size"},
	{SPEC(",\"limits\":{\"memory\":\"99999999999G\"}"), "limits.memory", "too large"},
	{SPEC(",\"limits\":{\"cpu_time\":-1}"), "limits.cpu_time", "positive number of seconds"},
	{SPEC(",\"limits\":{\"cpu_time\":0}"), "limits.cpu_time", "at least 1 ms"},
	{SPEC(",\"limits\":{\"cpu_time\":true}"), "limits.cpu_time", "number of seconds"},
	{SPEC(",\"limits\":{\"bogus\":1}"), "limits.bogus", "unknown key"},
	{SPEC(",\"limits\":[]"), "limits", "must be an object"},
	{SPEC(",\"build_limits\":{\"pids\":0}"), "build_limits.pids", "must be positive"},
	{SPEC(",\"build_limits\":{\"open_files\":\"many\"}"), "build_limits.open_files",
	 "not a count"},
	{SPEC(",\"checker\":\"fuzzy\""), "checker", "must be \"exact\""},
	{SPEC(",\"checker\":{\"float\":-1}"), "checker.float", "tolerances must be >= 0"},
	{SPEC(",\"checker\":{\"float\":{\"abs\":1}}"), "checker.float.abs", "unknown key"},
	{SPEC(",\"checker\":{\"float\":{\"absolute\":\"1\"}}"), "checker.float.absolute",
	 "must be a number"},
	{SPEC(",\"checker\":{\"float\":1,\"program\":\"check.sh\"}"), "checker", "must be"},
	{SPEC(",\"checker\":{\"program\":\"nope.sh\"}"), "checker.program", "no such file"},
	{SPEC(",\"checker\":{\"program\":\"in/1.txt\"}"), "checker.program", "not executable"},
	{"{" HEAD "}", "tests", "is required"},
	{"{" HEAD ",\"tests\":{}}", "tests", "must be an array"},
	{"{" HEAD ",\"tests\":[]}", "tests", "must not be empty"},
	{"{" HEAD ",\"tests\":[" T1 ",7]}", "tests[1]", "must be an object"},
	{SPEC_T(T1 ",{\"name\":\"t2\",\"stdin\":\"\",\"expected_stdout\":\"\",\"points\":-1}", ""),
	 "tests[1].points", "between 0 and"},
	{SPEC_T("{\"name\":\"t1\",\"stdin\":\"\",\"expected_stdout\":\"\",\"points\":\"3\"}", ""),
	 "tests[0].points", "must be a number"},
	{SPEC_T(T1 "," T2 "," T1, ""), "tests[2].name", "also the name of tests[0]"},
	{SPEC_T("{\"name\":\"t 1\",\"stdin\":\"\",\"expected_stdout\":\"\"}", ""), "tests[0].name",
	 "1-64 characters"},
	{SPEC_T("{\"stdin\":\"\",\"expected_stdout\":\"\"}", ""), "tests[0].name", "is required"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"../etc/passwd\",\"expected_stdout\":\"\"}", ""),
	 "tests[0].input", "'..'"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"in/./1.txt\",\"expected_stdout\":\"\"}", ""),
	 "tests[0].input", "'.'"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"/etc/passwd\",\"expected_stdout\":\"\"}", ""),
	 "tests[0].input", "must be a relative path"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"link-abs\",\"expected_stdout\":\"\"}", ""),
	 "tests[0].input", "resolves outside"},
	{SPEC_T("{\"name\":\"t\",\"stdin\":\"\",\"expected\":\"link-up\"}", ""),
	 "tests[0].expected", "resolves outside"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"sub\",\"expected_stdout\":\"\"}", ""),
	 "tests[0].input", "not a regular file"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"in/9.txt\",\"expected_stdout\":\"\"}", ""),
	 "tests[0].input", "no such file"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"in/1.txt\",\"stdin\":\"x\",\"expected_stdout\":\"\"}",
		""),
	 "tests[0].stdin", "not both"},
	{SPEC_T("{\"name\":\"t\",\"stdin\":\"\",\"expected\":\"out/"
		"1.txt\",\"expected_stdout\":\"\"}",
		""),
	 "tests[0].expected_stdout", "not both"},
	{SPEC_T("{\"name\":\"t\",\"input\":\"in/1.txt\"}", ""), "tests[0].expected", "is required"},
	{SPEC_T("{\"name\":\"t\",\"stdin\":5,\"expected_stdout\":\"\"}", ""), "tests[0].stdin",
	 "must be a string"},
	{SPEC_T(T1 ",{\"name\":\"t2\",\"stdin\":\"\",\"expected_stdout\":\"\",\"visibility\":"
		   "\"secret\"}",
		""),
	 "tests[1].visibility", "must be \"visible\""},
	{SPEC_T("{\"name\":\"t\",\"stdin\":\"\",\"expected_stdout\":\"\",\"limits\":{\"wall_time\":"
		"\"fast\"}}",
		""),
	 "tests[0].limits.wall_time", "not a number of seconds"},
	{SPEC_T("{\"name\":\"t\",\"stdin\":\"\",\"expected_stdout\":\"\",\"args\":[1]}", ""),
	 "tests[0].args[0]", "must be a string"},
	{SPEC_T("{\"name\":\"t\",\"stdin\":\"\",\"expected_stdout\":\"\",\"args\":\"-v\"}", ""),
	 "tests[0].args", "must be an array"},
	{SPEC_T("{\"name\":\"t\",\"stdin\":\"\",\"expected_stdout\":\"\",\"extra\":1}", ""),
	 "tests[0].extra", "unknown key 'extra'"},
	{SPEC(",\"due\":\"2026-12-01\""), "due", "ISO-8601"},
	{SPEC(",\"due\":\"2026-12-01T10:00:00\""), "due", "time zone"},
	{SPEC(",\"due\":\"2026-02-30T10:00Z\""), "due", "not a valid date"},
	{SPEC(",\"due\":\"2026-12-01T10:00:00+25:00\""), "due", "offset"},
	{SPEC(",\"due\":\"2026-12-01T10:00:00Zjunk\""), "due", "trailing"},
	{SPEC(",\"due\":1796165940\""), "", "invalid JSON"},
	{SPEC(",\"due\":1796165940"), "due", "must be a string"},
	{SPEC(",\"expected_files\":[\"../x\"]"), "expected_files[0]", "'..'"},
	{SPEC(",\"expected_files\":[\"a.c\",\"a.c\"]"), "expected_files[1]", "listed twice"},
	{SPEC(",\"expected_files\":[\"dir/\"]"), "expected_files[0]", "must not end in '/'"},
	{SPEC(",\"security\":{\"on_violation\":\"ignore\"}"), "security.on_violation",
	 "\"flag\" or \"fail\""},
	{SPEC(",\"security\":{\"extra\":true}"), "security.extra", "unknown key"},
	{SPEC(",\"security\":\"strict\""), "security", "must be an object"},
};

static int
t_bad_specs(void)
{
	_cleanup_(adir_done) struct adir d = {0};
	int failed = 0;

	CHECK_EQ_INT(adir_make(&d), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad_specs); i++) {
		struct assignment *a = NULL;
		struct assignment_error err;
		int r = load(&d, bad_specs[i].json, &a, &err);
		if (r != -EINVAL || a || strcmp(err.field, bad_specs[i].field) != 0 ||
		    !strstr(err.message, bad_specs[i].reason) ||
		    !strstr(err.file, "assignment.json")) {
			printf("# case %zu: r=%d field '%s' (want '%s') message '%s' (want '%s')\n",
			       i, r, err.field, bad_specs[i].field, err.message,
			       bad_specs[i].reason);
			failed++;
			assignment_free(a);
		}
	}
	printf("# %zu bad specs checked\n", ELEMENTSOF(bad_specs));
	CHECK_EQ_INT(failed, 0);
	return 0;
}

static int
t_json_error_has_position(void)
{
	_cleanup_(adir_done) struct adir d = {0};
	struct assignment *a = NULL;
	struct assignment_error err;

	CHECK_EQ_INT(adir_make(&d), 0);
	CHECK_EQ_INT(load(&d, "{\n  \"name\": \"x\",\n  oops\n}", &a, &err), -EINVAL);
	CHECK_EQ_INT(err.line, 3);
	CHECK(err.column > 0);
	return 0;
}

TAP_MAIN(TAP_TEST(t_good_spec), TAP_TEST(t_minimal_python_and_program_checker),
	 TAP_TEST(t_missing_or_symlinked_spec_file), TAP_TEST(t_bad_specs),
	 TAP_TEST(t_json_error_has_position))
