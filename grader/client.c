/* SPDX-License-Identifier: MIT */
/* The staff and student CLI: each subcommand is one or a few HTTP requests to `gradebox serve`
 * (evhttp client, one event base, a timeout per request). Only the server touches the database,
 * so these commands work the same from any account that holds a token. */
#include "client.h"

#include "api.h"
#include "hash.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_SERVER	 "http://127.0.0.1:8470"
#define DEFAULT_DATA_DIR "/var/lib/gradebox"
/* Uploads are read into memory; the server's own cap (--max-body) is usually far lower. */
#define MAX_UPLOAD (1ULL << 30)

struct client {
	struct event_base *base; /* owned */
	char host[256];
	int port;
	const char *server;   /* borrowed: argv or environment */
	const char *data_dir; /* borrowed */
	char token[256];
	int timeout_s;
	bool json; /* --json: print the server's JSON */
};

struct response {
	int code;   /* 0: no response (see err) */
	char *body; /* owned, NUL-terminated */
	size_t len;
	int retry_after_s; /* a 503's Retry-After (seconds), 0 when absent */
	char err[128];
};

static void
response_clear(struct response *r)
{
	free(r->body);
	*r = (struct response){0};
}

/* --- output safety ------------------------------------------------------------------------ */

/* Program output and uploaded names are student-controlled: control bytes (terminal escape
 * sequences among them) are shown as '?' so a results table cannot rewrite the terminal. */
static void
put_safe(FILE *f, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++, n++) {
		unsigned char ch = (unsigned char)*s;
		/* C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) can also start escapes. */
		if (ch == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f) {
			fputc('?', f);
			s++;
			continue;
		}
		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
	}
	if (s && *s)
		fputs("...", f);
}

static const char *
jget_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_int_t
jget_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static double
jget_num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void
print_json(json_t *j)
{
	/* On a terminal, ASCII only: \u escapes cannot smuggle C1 control characters. */
	size_t flags = JSON_INDENT(2) | (isatty(STDOUT_FILENO) ? JSON_ENSURE_ASCII : 0);
	_cleanup_free_ char *s = json_dumps(j, flags);
	if (s)
		printf("%s\n", s);
}

static void
fmt_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* --- HTTP --------------------------------------------------------------------------------- */

static void
on_error(enum evhttp_request_error e, void *arg)
{
	struct response *r = arg;
	static const char *const why[] = {
		[EVREQ_HTTP_TIMEOUT] = "timed out",
		[EVREQ_HTTP_EOF] = "connection closed by the server",
		[EVREQ_HTTP_INVALID_HEADER] = "invalid response header",
		[EVREQ_HTTP_BUFFER_ERROR] = "connection refused or failed",
		[EVREQ_HTTP_REQUEST_CANCEL] = "cancelled",
		[EVREQ_HTTP_DATA_TOO_LONG] = "response too large",
	};
	snprintf(r->err, sizeof(r->err), "%s",
		 (size_t)e < ELEMENTSOF(why) && why[e] ? why[e] : "request failed");
}

static void
on_done(struct evhttp_request *req, void *arg)
{
	struct response *r = arg;
	struct evbuffer *in;
	size_t n;

	if (!req) {
		if (!r->err[0])
			snprintf(r->err, sizeof(r->err), "no response");
		return;
	}
	r->code = evhttp_request_get_response_code(req);
	if (r->code == 0) {
		if (!r->err[0])
			snprintf(r->err, sizeof(r->err), "connection refused or failed");
		return;
	}
	const char *ra = evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After");
	uint64_t v;
	if (r->code == 503 && ra && util_parse_u64(ra, &v) == 0)
		r->retry_after_s = v > 0 && v < 60 ? (int)v : 1;
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	r->body = malloc(n + 1);
	if (!r->body) {
		r->code = 0;
		snprintf(r->err, sizeof(r->err), "out of memory");
		return;
	}
	evbuffer_remove(in, r->body, n);
	r->body[n] = 0;
	r->len = n;
}

/* Sends one request and runs the loop until its response (or the timeout). Returns 0 with
 * ret->code set, or -EIO with ret->err saying why nothing came back. */
static int
http_once(struct client *cl, enum evhttp_cmd_type method, const char *path, const char *type,
	  const void *body, size_t len, struct response *ret)
{
	struct evhttp_connection *conn;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char auth[300];

	*ret = (struct response){0};
	conn = evhttp_connection_base_new(cl->base, NULL, cl->host, (ev_uint16_t)cl->port);
	if (!conn) {
		snprintf(ret->err, sizeof(ret->err), "cannot create a connection");
		return -EIO;
	}
	evhttp_connection_set_timeout(conn, cl->timeout_s);
	req = evhttp_request_new(on_done, ret);
	if (!req) {
		evhttp_connection_free(conn);
		snprintf(ret->err, sizeof(ret->err), "out of memory");
		return -ENOMEM;
	}
	evhttp_request_set_error_cb(req, on_error);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", cl->host);
	evhttp_add_header(h, "Connection", "close");
	evhttp_add_header(h, "Accept", "application/json");
	if (cl->token[0]) {
		snprintf(auth, sizeof(auth), "Bearer %s", cl->token);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (type)
		evhttp_add_header(h, "Content-Type", type);
	if (body && len)
		evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	/* evhttp_make_request frees @req on failure too. */
	if (evhttp_make_request(conn, req, method, path) < 0) {
		evhttp_connection_free(conn);
		snprintf(ret->err, sizeof(ret->err), "cannot send the request");
		return -EIO;
	}
	event_base_dispatch(cl->base);
	evhttp_connection_free(conn);
	return ret->code ? 0 : -EIO;
}

static const char *reason(const struct response *r, char *buf, size_t size);

/* http_once(), sent again while the server answers 503 with Retry-After: its database was
 * locked by another process and nothing was written, so the same request is safe to repeat.
 * Gives up after the client's timeout (--timeout), with the server's last answer. */
static int
http(struct client *cl, enum evhttp_cmd_type method, const char *path, const char *type,
     const void *body, size_t len, struct response *ret)
{
	uint64_t deadline = util_now_ns() + (uint64_t)cl->timeout_s * 1000000000ULL;
	bool said = false;

	for (;;) {
		int r = http_once(cl, method, path, type, body, len, ret);
		if (r < 0 || ret->code != 503 || ret->retry_after_s <= 0)
			return r;
		uint64_t wait_ns = (uint64_t)ret->retry_after_s * 1000000000ULL;
		if (util_now_ns() + wait_ns > deadline)
			return r;
		if (!said) {
			char buf[256];
			fprintf(stderr, "gradebox: the server is busy (");
			put_safe(stderr, reason(ret, buf, sizeof(buf)), sizeof(buf));
			fprintf(stderr, "); trying again for up to %d s\n", cl->timeout_s);
			said = true;
		}
		response_clear(ret);
		struct timespec ts = {.tv_sec = (time_t)(wait_ns / 1000000000ULL)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* The server's reason from an error reply ({"error": ...}), or the status line. */
static const char *
reason(const struct response *r, char *buf, size_t size)
{
	json_t *j;

	if (!r->code)
		return r->err;
	j = r->body ? json_loads(r->body, 0, NULL) : NULL;
	if (j && json_string_value(json_object_get(j, "error"))) {
		snprintf(buf, size, "%s", json_string_value(json_object_get(j, "error")));
	} else if (r->code == 413) {
		snprintf(buf, size, "HTTP 413: request body larger than the server accepts");
	} else
		snprintf(buf, size, "HTTP %d", r->code);
	json_decref(j);
	return buf;
}

/* Exit code for a failed request: the server said no (1), or we could not ask (2). */
static int
fail(const char *what, const struct response *r)
{
	char buf[1024];

	fprintf(stderr, "gradebox: %s: ", what);
	put_safe(stderr, reason(r, buf, sizeof(buf)), sizeof(buf));
	fputc('\n', stderr);
	if (!r->code || r->code >= 500 || r->code == 401 || r->code == 403)
		return 2;
	return 1;
}

/* GET/POST returning JSON. Returns the parsed body of a 2xx reply, or NULL after printing
 * why (with *ret_rc set to the exit code). */
static json_t *
call_json(struct client *cl, enum evhttp_cmd_type method, const char *path, const char *body,
	  const char *what, int *ret_rc)
{
	struct response r;
	json_t *j;

	*ret_rc = 2;
	if (http(cl, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0,
		 &r) < 0 ||
	    r.code / 100 != 2) {
		*ret_rc = fail(what, &r);
		response_clear(&r);
		return NULL;
	}
	j = json_loads(r.body, 0, NULL);
	response_clear(&r);
	if (!j)
		fprintf(stderr, "gradebox: %s: the server's reply is not JSON\n", what);
	return j;
}

/* URL-encodes @s for a query string. Returns a malloc'd string (abort-free: NULL on ENOMEM). */
static char *
enc(const char *s)
{
	return evhttp_uriencode(s, -1, 0);
}

/* --- setup -------------------------------------------------------------------------------- */

static int
load_token(struct client *cl)
{
	const char *e = getenv("GRADEBOX_TOKEN");
	char path[PATH_MAX];
	ssize_t n;

	if (e && *e) {
		snprintf(cl->token, sizeof(cl->token), "%s", e);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/token", cl->data_dir);
	n = util_read_file_at(AT_FDCWD, path, cl->token, sizeof(cl->token));
	if (n < 0) {
		fprintf(stderr,
			"gradebox: cannot read the token from %s: %s (set $GRADEBOX_TOKEN, or "
			"--data-dir / $GRADEBOX_DATA to the server's data dir)\n",
			path, strerror((int)-n));
		return (int)n;
	}
	cl->token[strcspn(cl->token, "\r\n")] = 0;
	return 0;
}

static int
client_init(struct client *cl)
{
	struct evhttp_uri *u = evhttp_uri_parse(cl->server);
	const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
	const char *host = u ? evhttp_uri_get_host(u) : NULL;

	if (!u || !scheme || strcmp(scheme, "http") != 0 || !host || !*host) {
		fprintf(stderr, "gradebox: --server: expected http://HOST[:PORT], got '%s'\n",
			cl->server);
		if (u)
			evhttp_uri_free(u);
		return -EINVAL;
	}
	snprintf(cl->host, sizeof(cl->host), "%s", host);
	cl->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	evhttp_uri_free(u);
	cl->base = event_base_new();
	if (!cl->base) {
		fprintf(stderr, "gradebox: cannot create an event base\n");
		return -ENOMEM;
	}
	return load_token(cl);
}

static void
client_done(struct client *cl)
{
	if (cl->base)
		event_base_free(cl->base);
	explicit_bzero(cl->token, sizeof(cl->token));
}

enum {
	OPT_SERVER = 256,
	OPT_DATA_DIR,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_ASSIGNMENT,
	OPT_STUDENT,
	OPT_PRIORITY,
	OPT_WAIT,
	OPT_CSV,
	OPT_GRADESCOPE,
	OPT_VERSION,
	OPT_HELP,
	OPT_SUBMISSION,
	OPT_KIND,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_LIMIT,
};

/* Every client command accepts the same options; each uses those that make sense for it and
 * refuses the others with a usage error. */
struct opts {
	const char *assignment, *student, *priority, *version;
	bool wait, csv, gradescope, help;
	const char *submission, *kind, *since, *until, *limit; /* audit list */
	const char *output;				       /* evidence get -o */
};

static const struct option long_opts[] = {
	{"server", required_argument, NULL, OPT_SERVER},
	{"data-dir", required_argument, NULL, OPT_DATA_DIR},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"json", no_argument, NULL, OPT_JSON},
	{"assignment", required_argument, NULL, OPT_ASSIGNMENT},
	{"student", required_argument, NULL, OPT_STUDENT},
	{"priority", required_argument, NULL, OPT_PRIORITY},
	{"version", required_argument, NULL, OPT_VERSION},
	{"wait", no_argument, NULL, OPT_WAIT},
	{"csv", no_argument, NULL, OPT_CSV},
	{"gradescope", no_argument, NULL, OPT_GRADESCOPE},
	{"help", no_argument, NULL, OPT_HELP},
	{"submission", required_argument, NULL, OPT_SUBMISSION},
	{"kind", required_argument, NULL, OPT_KIND},
	{"since", required_argument, NULL, OPT_SINCE},
	{"until", required_argument, NULL, OPT_UNTIL},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"output", required_argument, NULL, 'o'},
	{},
};

static int
parse_opts(struct client *cl, struct opts *o, int argc, char **argv)
{
	const char *e;
	uint64_t v;
	int c;

	e = getenv("GRADEBOX_SERVER");
	cl->server = e && *e ? e : DEFAULT_SERVER;
	e = getenv("GRADEBOX_DATA");
	cl->data_dir = e && *e ? e : DEFAULT_DATA_DIR;
	cl->timeout_s = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_SERVER:
			cl->server = optarg;
			break;
		case OPT_DATA_DIR:
			cl->data_dir = optarg;
			break;
		case OPT_TIMEOUT:
			if (util_parse_u64(optarg, &v) < 0 || v == 0 || v > 3600) {
				fprintf(stderr, "gradebox: --timeout: expected seconds (1-3600)\n");
				return -EINVAL;
			}
			cl->timeout_s = (int)v;
			break;
		case OPT_JSON:
			cl->json = true;
			break;
		case OPT_ASSIGNMENT:
			o->assignment = optarg;
			break;
		case OPT_STUDENT:
			o->student = optarg;
			break;
		case OPT_PRIORITY:
			o->priority = optarg;
			break;
		case OPT_VERSION:
			o->version = optarg;
			break;
		case OPT_WAIT:
			o->wait = true;
			break;
		case OPT_CSV:
			o->csv = true;
			break;
		case OPT_GRADESCOPE:
			o->gradescope = true;
			break;
		case 'h':
		case OPT_HELP:
			o->help = true;
			break;
		case OPT_SUBMISSION:
			o->submission = optarg;
			break;
		case OPT_KIND:
			o->kind = optarg;
			break;
		case OPT_SINCE:
			o->since = optarg;
			break;
		case OPT_UNTIL:
			o->until = optarg;
			break;
		case OPT_LIMIT:
			o->limit = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* --- helpers shared by commands ----------------------------------------------------------- */

int
client_student_from_filename(const char *path, char *buf, size_t size)
{
	static const char *const suffixes[] = {".tar.gz",  ".tgz",  ".tar.xz", ".txz",
					       ".tar.bz2", ".tbz2", ".tar",    ".zip"};
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		size_t l = strlen(suffixes[i]);
		if (n > l && strcmp(base + n - l, suffixes[i]) == 0) {
			n -= l;
			break;
		}
	}
	if (n == 0 || n >= size)
		return -EINVAL;
	memcpy(buf, base, n);
	buf[n] = 0;
	return api_valid_login(buf) ? 0 : -EINVAL;
}

/* Reads a whole regular file (at most MAX_UPLOAD). */
static int
read_upload(const char *path, char **ret, size_t *ret_len, char *err, size_t errsize)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errsize, "cannot read: %s", strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "not a regular file");
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > MAX_UPLOAD) {
		snprintf(err, errsize, "larger than %llu MiB", MAX_UPLOAD >> 20);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	n = util_read_full(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		snprintf(err, errsize, "cannot read: %s", strerror((int)-n));
		return (int)n;
	}
	*ret_len = (size_t)n;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* POST /api/submissions. Returns 0 with the ids, or the exit code's reason in @err (and
 * *ret_rc: 1 refused, 2 could not ask). */
static int
submit_one(struct client *cl, const char *assignment, const char *student, const char *file,
	   const char *priority, int64_t batch, int64_t *ret_sub, int64_t *ret_job, char *err,
	   size_t errsize, int *ret_rc)
{
	_cleanup_free_ char *data = NULL, *ea = enc(assignment), *es = enc(student), *ef = NULL;
	const char *bn = strrchr(file, '/');
	char path[1024], bpart[48] = "", ppart[48] = "";
	struct response r;
	size_t len = 0;
	json_t *j;

	*ret_rc = 1;
	if (read_upload(file, &data, &len, err, errsize) < 0)
		return -EINVAL;
	ef = enc(bn ? bn + 1 : file);
	if (!ea || !es || !ef) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	if (batch)
		snprintf(bpart, sizeof(bpart), "&batch=%" PRIi64, batch);
	if (priority)
		snprintf(ppart, sizeof(ppart), "&priority=%.20s", priority);
	snprintf(path, sizeof(path), "/api/submissions?assignment=%s&student=%s&filename=%s%s%s",
		 ea, es, ef, bpart, ppart);
	if (http(cl, EVHTTP_REQ_POST, path, "application/octet-stream", data, len, &r) < 0 ||
	    r.code != 201) {
		reason(&r, err, errsize);
		*ret_rc = !r.code || r.code >= 500 || r.code == 401 || r.code == 403 ? 2 : 1;
		response_clear(&r);
		return -EIO;
	}
	j = json_loads(r.body, 0, NULL);
	response_clear(&r);
	*ret_sub = jget_int(j, "submission_id");
	*ret_job = jget_int(j, "job_id");
	json_decref(j);
	return 0;
}

/* --- commands ----------------------------------------------------------------------------- */

static int
do_assignment(struct client *cl, struct opts *o, int argc, char **argv)
{
	int rc;
	(void)o;

	if (argc >= 2 && strcmp(argv[0], "add") == 0 && argc == 2) {
		char abs[PATH_MAX];
		if (!realpath(argv[1], abs)) {
			fprintf(stderr, "gradebox: assignment add: '%s': %s\n", argv[1],
				strerror(errno));
			return 2;
		}
		json_t *req = json_pack("{s:s}", "path", abs);
		_cleanup_free_ char *body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		struct response r;
		if (http(cl, EVHTTP_REQ_POST, "/api/assignments", "application/json", body,
			 body ? strlen(body) : 0, &r) < 0 ||
		    r.code != 201) {
			rc = fail("assignment add", &r);
			response_clear(&r);
			return rc;
		}
		json_t *j = json_loads(r.body, 0, NULL);
		response_clear(&r);
		if (cl->json)
			print_json(j);
		else
			printf("added assignment %s version %" JSON_INTEGER_FORMAT
			       " (id %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
			       " tests, max score %g)\n",
			       jget_str(j, "name"), jget_int(j, "version"), jget_int(j, "id"),
			       jget_int(j, "tests"), jget_num(j, "max_score"));
		json_decref(j);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		json_t *j = call_json(cl, EVHTTP_REQ_GET, "/api/assignments", NULL,
				      "assignment list", &rc);
		json_t *a;
		size_t i;
		if (!j)
			return rc;
		if (cl->json) {
			print_json(j);
			json_decref(j);
			return 0;
		}
		printf("%-24s %8s %6s %9s  %-21s %s\n", "NAME", "VERSIONS", "TESTS", "MAX", "DUE",
		       "TITLE");
		json_array_foreach(json_object_get(j, "assignments"), i, a)
		{
			char due[32];
			fmt_time(jget_int(a, "due_at"), due, sizeof(due));
			printf("%-24s %8" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT
			       " %9g  %-21s ",
			       jget_str(a, "name"), jget_int(a, "versions"), jget_int(a, "tests"),
			       jget_num(a, "max_score"), due);
			put_safe(stdout, jget_str(a, "title"), 60);
			putchar('\n');
		}
		json_decref(j);
		return 0;
	}
	fprintf(stderr, "usage: gradebox assignment add DIR | gradebox assignment list\n");
	return 2;
}

static int
do_submit(struct client *cl, struct opts *o, int argc, char **argv)
{
	char err[1024];
	int64_t sub, job;
	int rc;

	if (!o->assignment || !o->student || argc != 1) {
		fprintf(stderr, "usage: gradebox submit --assignment A --student S [--priority N] "
				"FILE\n");
		return 2;
	}
	if (submit_one(cl, o->assignment, o->student, argv[0], o->priority, 0, &sub, &job, err,
		       sizeof(err), &rc) < 0) {
		fprintf(stderr, "gradebox: submit: %s: ", argv[0]);
		put_safe(stderr, err, sizeof(err));
		fputc('\n', stderr);
		return rc;
	}
	printf("submission %" PRIi64 " job %" PRIi64 "\n", sub, job);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILES... or one DIR: the regular, non-hidden entries of DIR, sorted. */
static int
collect_files(int argc, char **argv, char ***ret, size_t *ret_n)
{
	struct stat st;
	char **v = NULL;
	size_t n = 0;

	if (argc == 1 && stat(argv[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		_cleanup_(closedirp_) DIR *d = opendir(argv[0]);
		struct dirent *de;
		if (!d) {
			fprintf(stderr, "gradebox: batch: '%s': %s\n", argv[0], strerror(errno));
			return -errno;
		}
		while ((de = readdir(d))) {
			char *p;
			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&p, "%s/%s", argv[0], de->d_name) < 0)
				return -ENOMEM;
			char **nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv) {
				free(p);
				return -ENOMEM;
			}
			v = nv;
			v[n++] = p;
		}
		qsort(v, n, sizeof(*v), cmp_str);
	} else {
		v = calloc((size_t)argc + 1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (int i = 0; i < argc; i++)
			if (!(v[n++] = strdup(argv[i])))
				return -ENOMEM;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void
progress(size_t graded, size_t total, bool final)
{
	char bar[31];
	size_t fill = total ? graded * 30 / total : 30;

	for (size_t i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = 0;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r[%s] %zu/%zu graded%s", bar, graded, total, final ? "\n" : "");
	else
		fprintf(stderr, "[%s] %zu/%zu graded\n", bar, graded, total);
	fflush(stderr);
}

static int
wait_batch(struct client *cl, int64_t batch)
{
	char path[64];
	size_t last = SIZE_MAX;
	json_t *j = NULL;
	int rc;

	snprintf(path, sizeof(path), "/api/batches/%" PRIi64, batch);
	for (;;) {
		j = call_json(cl, EVHTTP_REQ_GET, path, NULL, "batch progress", &rc);
		if (!j)
			return rc;
		size_t total = (size_t)jget_int(j, "total");
		size_t graded = (size_t)(jget_int(j, "done") + jget_int(j, "failed") +
					 jget_int(j, "cancelled"));
		if (graded != last || graded == total)
			progress(graded, total, graded == total);
		last = graded;
		if (graded >= total)
			break;
		json_decref(j);
		j = NULL;
		sleep(1);
	}
	if (cl->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	json_t *job;
	size_t i;
	printf("%-24s %-10s %-8s %s\n", "STUDENT", "STATE", "VERDICT", "SCORE");
	json_array_foreach(json_object_get(j, "jobs"), i, job)
	{
		char score[48] = "-";
		if (json_is_number(json_object_get(job, "score")))
			snprintf(score, sizeof(score), "%g/%g", jget_num(job, "score"),
				 jget_num(job, "max_score"));
		printf("%-24s %-10s %-8s %s\n", jget_str(job, "student"), jget_str(job, "state"),
		       json_is_string(json_object_get(job, "verdict")) ? jget_str(job, "verdict")
								       : "-",
		       score);
	}
	json_decref(j);
	return 0;
}

static int
do_batch(struct client *cl, struct opts *o, int argc, char **argv)
{
	char **files = NULL, body[256], err[1024], login[80];
	size_t n = 0, accepted = 0, rejected = 0;
	int64_t batch;
	json_t *j;
	int rc, r;

	if (!o->assignment || argc < 1) {
		fprintf(stderr, "usage: gradebox batch --assignment A [--wait] [--priority N] "
				"FILES...|DIR\n");
		return 2;
	}
	r = collect_files(argc, argv, &files, &n);
	if (r < 0)
		return 2;
	{
		json_t *req = json_pack("{s:s}", "assignment", o->assignment);
		_cleanup_free_ char *s = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		snprintf(body, sizeof(body), "%s", s ? s : "{}");
	}
	j = call_json(cl, EVHTTP_REQ_POST, "/api/batches", body, "batch", &rc);
	if (!j) {
		for (size_t i = 0; i < n; i++)
			free(files[i]);
		free(files);
		return rc == 1 ? 1 : 2;
	}
	batch = jget_int(j, "batch_id");
	json_decref(j);
	fprintf(stderr, "batch %" PRIi64 ": %zu files\n", batch, n);

	for (size_t i = 0; i < n; i++) {
		int64_t sub, job;
		if (client_student_from_filename(files[i], login, sizeof(login)) < 0) {
			snprintf(err, sizeof(err),
				 "file name does not give a student login "
				 "([a-z0-9][a-z0-9._-]{0,63} plus "
				 ".tar.gz .tgz .tar .tar.xz .zip)");
			rc = 1;
		} else if (submit_one(cl, o->assignment, login, files[i], o->priority, batch, &sub,
				      &job, err, sizeof(err), &rc) == 0) {
			printf("accepted  %-24s job %" PRIi64 "\n", login, job);
			accepted++;
			continue;
		}
		printf("rejected  ");
		put_safe(stdout, files[i], 200);
		printf(": ");
		put_safe(stdout, err, sizeof(err));
		putchar('\n');
		rejected++;
		/* The server is gone or refuses our token: the rest would fail the same way. */
		if (rc == 2) {
			for (size_t k = i + 1; k < n; k++) {
				printf("rejected  ");
				put_safe(stdout, files[k], 200);
				printf(": not sent (previous error)\n");
				rejected++;
			}
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	fflush(stdout);
	fprintf(stderr, "batch %" PRIi64 ": %zu accepted, %zu rejected\n", batch, accepted,
		rejected);
	if (o->wait && accepted) {
		rc = wait_batch(cl, batch);
		if (rc)
			return rc;
	}
	return rejected ? 1 : 0;
}

static void
print_status(json_t *j)
{
	char t1[32], t2[32], t3[32];

	fmt_time(jget_int(j, "submitted_at"), t1, sizeof(t1));
	fmt_time(jget_int(j, "started_at"), t2, sizeof(t2));
	fmt_time(jget_int(j, "finished_at"), t3, sizeof(t3));
	printf("job %" JSON_INTEGER_FORMAT "  submission %" JSON_INTEGER_FORMAT
	       "  student %s  assignment %s v%" JSON_INTEGER_FORMAT "\n",
	       jget_int(j, "job_id"), jget_int(j, "submission_id"), jget_str(j, "student"),
	       jget_str(j, "assignment"), jget_int(j, "version"));
	printf("state     %s (%s)\n", jget_str(j, "state"), jget_str(j, "kind"));
	if (json_is_string(json_object_get(j, "verdict")))
		printf("verdict   %s  %g/%g\n", jget_str(j, "verdict"), jget_num(j, "score"),
		       jget_num(j, "max_score"));
	printf("submitted %s  started %s  finished %s\n", t1, t2, t3);
	if (json_is_string(json_object_get(j, "filename"))) {
		printf("file      ");
		put_safe(stdout, jget_str(j, "filename"), 200);
		putchar('\n');
	}
	if (*jget_str(j, "message")) {
		printf("message   ");
		put_safe(stdout, jget_str(j, "message"), 500);
		putchar('\n');
	}
	if (*jget_str(j, "last_error")) {
		printf("error     ");
		put_safe(stdout, jget_str(j, "last_error"), 500);
		putchar('\n');
	}
}

static int
do_status(struct client *cl, struct opts *o, int argc, char **argv)
{
	char path[256];
	json_t *j, *job;
	size_t i;
	int rc;

	if (o->student && argc == 0) {
		_cleanup_free_ char *es = enc(o->student);
		snprintf(path, sizeof(path), "/api/students/%s/submissions", es ? es : "");
		j = call_json(cl, EVHTTP_REQ_GET, path, NULL, "status", &rc);
		if (!j)
			return rc;
		if (cl->json) {
			print_json(j);
			json_decref(j);
			return 0;
		}
		printf("%-7s %-7s %-20s %-10s %-8s %-13s %s\n", "JOB", "SUB", "ASSIGNMENT", "STATE",
		       "VERDICT", "SCORE", "SUBMITTED");
		json_array_foreach(json_object_get(j, "jobs"), i, job)
		{
			char score[48] = "-", when[32], a[64];
			if (json_is_number(json_object_get(job, "score")))
				snprintf(score, sizeof(score), "%g/%g", jget_num(job, "score"),
					 jget_num(job, "max_score"));
			fmt_time(jget_int(job, "submitted_at"), when, sizeof(when));
			snprintf(a, sizeof(a), "%s v%" JSON_INTEGER_FORMAT,
				 jget_str(job, "assignment"), jget_int(job, "version"));
			printf("%-7" JSON_INTEGER_FORMAT " %-7" JSON_INTEGER_FORMAT
			       " %-20s %-10s %-8s %-13s %s\n",
			       jget_int(job, "job_id"), jget_int(job, "submission_id"), a,
			       jget_str(job, "state"),
			       json_is_string(json_object_get(job, "verdict"))
				       ? jget_str(job, "verdict")
				       : "-",
			       score, when);
		}
		json_decref(j);
		return 0;
	}
	if (argc != 1 || o->student) {
		fprintf(stderr,
			"usage: gradebox status JOB_ID | gradebox status --student LOGIN\n");
		return 2;
	}
	_cleanup_free_ char *eid = enc(argv[0]);
	snprintf(path, sizeof(path), "/api/jobs/%s", eid ? eid : "");
	j = call_json(cl, EVHTTP_REQ_GET, path, NULL, "status", &rc);
	if (!j)
		return rc;
	if (cl->json)
		print_json(j);
	else
		print_status(j);
	json_decref(j);
	return 0;
}

static int
do_results(struct client *cl, struct opts *o, int argc, char **argv)
{
	char path[256];
	json_t *j, *t;
	size_t i;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: gradebox results JOB_ID [--student LOGIN] [--json]\n");
		return 2;
	}
	_cleanup_free_ char *eid = enc(argv[0]);
	_cleanup_free_ char *es = o->student ? enc(o->student) : NULL;
	/* With --student the student route is used, so a student's own token works. */
	if (o->student)
		snprintf(path, sizeof(path), "/api/students/%s/jobs/%s/results", es ? es : "",
			 eid ? eid : "");
	else
		snprintf(path, sizeof(path), "/api/jobs/%s/results", eid ? eid : "");
	j = call_json(cl, EVHTTP_REQ_GET, path, NULL, "results", &rc);
	if (!j)
		return rc;
	if (cl->json) {
		print_json(j);
	} else {
		print_status(j);
		printf("\n%-20s %-7s %-13s %7s %7s %10s  %s\n", "TEST", "VERDICT", "POINTS",
		       "CPU_MS", "WALL_MS", "MEMORY_KB", "MESSAGE");
		json_array_foreach(json_object_get(j, "tests"), i, t)
		{
			char pts[48];
			snprintf(pts, sizeof(pts), "%g/%g", jget_num(t, "score"),
				 jget_num(t, "points"));
			printf("%-20s %-7s %-13s %7" JSON_INTEGER_FORMAT " %7" JSON_INTEGER_FORMAT
			       " %10" JSON_INTEGER_FORMAT "  ",
			       jget_str(t, "name"), jget_str(t, "verdict"), pts,
			       jget_int(t, "cpu_ms"), jget_int(t, "wall_ms"),
			       jget_int(t, "memory_kb"));
			put_safe(stdout, jget_str(t, "message"), 80);
			putchar('\n');
		}
		if (jget_int(j, "tests_not_shown"))
			printf("(%" JSON_INTEGER_FORMAT " tests not shown)\n",
			       jget_int(j, "tests_not_shown"));
		if (*jget_str(j, "compiler_output")) {
			printf("\ncompiler output:\n");
			/* Line breaks kept, other control bytes masked. */
			const char *s = jget_str(j, "compiler_output");
			while (*s) {
				size_t l = strcspn(s, "\n");
				_cleanup_free_ char *line = strndup(s, l);
				put_safe(stdout, line ? line : "", 400);
				putchar('\n');
				s += l + (s[l] == '\n');
			}
		}
	}
	/* Exit 1 unless the job finished with AC: scripts can test "did it pass". */
	rc = strcmp(jget_str(j, "verdict"), "AC") == 0 ? 0 : 1;
	json_decref(j);
	return rc;
}

static int
do_export(struct client *cl, struct opts *o, int argc, char **argv)
{
	_cleanup_free_ char *ea = o->assignment ? enc(o->assignment) : NULL;
	_cleanup_free_ char *es = o->student ? enc(o->student) : NULL;
	char path[512], vpart[40] = "";
	struct response r;
	int rc;
	(void)argv;

	if (!o->assignment || argc != 0 || o->csv == o->gradescope ||
	    (o->gradescope && !o->student)) {
		fprintf(stderr, "usage: gradebox export --assignment A [--version N] --csv\n"
				"       gradebox export --assignment A [--version N] --gradescope "
				"--student S\n");
		return 2;
	}
	if (o->version)
		snprintf(vpart, sizeof(vpart), "%sversion=%.20s", o->csv ? "?" : "&", o->version);
	if (o->csv)
		snprintf(path, sizeof(path), "/api/assignments/%s/export.csv%s", ea ? ea : "",
			 vpart);
	else
		snprintf(path, sizeof(path), "/api/assignments/%s/gradescope?student=%s%s",
			 ea ? ea : "", es ? es : "", vpart);
	if (http(cl, EVHTTP_REQ_GET, path, NULL, NULL, 0, &r) < 0 || r.code != 200) {
		rc = fail("export", &r);
		response_clear(&r);
		return rc;
	}
	fwrite(r.body, 1, r.len, stdout);
	if (r.len && r.body[r.len - 1] != '\n')
		putchar('\n');
	response_clear(&r);
	return fflush(stdout) == 0 ? 0 : 2;
}

static int
do_regrade(struct client *cl, struct opts *o, int argc, char **argv)
{
	char path[256], ppart[40] = "";
	json_t *j;
	int rc;

	if (o->priority)
		snprintf(ppart, sizeof(ppart), "?priority=%.20s", o->priority);
	if (o->assignment && argc == 0) {
		_cleanup_free_ char *ea = enc(o->assignment);
		snprintf(path, sizeof(path), "/api/assignments/%s/regrade%s", ea ? ea : "", ppart);
		j = call_json(cl, EVHTTP_REQ_POST, path, NULL, "regrade", &rc);
		if (!j)
			return rc;
		if (cl->json)
			print_json(j);
		else
			printf("batch %" JSON_INTEGER_FORMAT ": %" JSON_INTEGER_FORMAT
			       " jobs queued\n",
			       jget_int(j, "batch_id"), jget_int(j, "jobs"));
		json_decref(j);
		return 0;
	}
	if (argc != 1 || o->assignment) {
		fprintf(stderr, "usage: gradebox regrade SUBMISSION_ID | gradebox regrade "
				"--assignment A\n");
		return 2;
	}
	_cleanup_free_ char *eid = enc(argv[0]);
	snprintf(path, sizeof(path), "/api/submissions/%s/regrade%s", eid ? eid : "", ppart);
	j = call_json(cl, EVHTTP_REQ_POST, path, NULL, "regrade", &rc);
	if (!j)
		return rc;
	if (cl->json)
		print_json(j);
	else
		printf("submission %" JSON_INTEGER_FORMAT ": job %" JSON_INTEGER_FORMAT "\n",
		       jget_int(j, "submission_id"), jget_int(j, "job_id"));
	json_decref(j);
	return 0;
}

static int
do_cancel(struct client *cl, struct opts *o, int argc, char **argv)
{
	char path[128];
	json_t *j;
	int rc;
	(void)o;

	if (argc != 1) {
		fprintf(stderr, "usage: gradebox cancel JOB_ID\n");
		return 2;
	}
	_cleanup_free_ char *eid = enc(argv[0]);
	snprintf(path, sizeof(path), "/api/jobs/%s/cancel", eid ? eid : "");
	j = call_json(cl, EVHTTP_REQ_POST, path, NULL, "cancel", &rc);
	if (!j)
		return rc;
	printf("job %" JSON_INTEGER_FORMAT " cancelled\n", jget_int(j, "job_id"));
	json_decref(j);
	return 0;
}

/* Needs the staff token but no server: the student token is derived from it. */
static int
do_student_token(struct client *cl, int argc, char **argv)
{
	char t[65];

	if (argc != 1) {
		fprintf(stderr, "usage: gradebox student-token LOGIN\n");
		return 2;
	}
	if (!api_valid_login(argv[0])) {
		fprintf(stderr,
			"gradebox: student-token: login must match [a-z0-9][a-z0-9._-]{0,63}\n");
		return 2;
	}
	if (load_token(cl) < 0)
		return 2;
	api_student_token(cl->token, argv[0], t);
	printf("%s\n", t);
	explicit_bzero(t, sizeof(t));
	return 0;
}

/* --- audit and evidence ------------------------------------------------------------------- */

/* --since/--until: milliseconds since the epoch, or an ISO 8601 UTC time
 * (2026-11-27, 2026-11-27T03:10, 2026-11-27T03:10:05Z, with 'T' or a space). */
static int
parse_when(const char *s, int64_t *ret)
{
	static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
					   "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
	uint64_t v;

	if (util_parse_u64(s, &v) == 0 && v <= INT64_MAX) {
		*ret = (int64_t)v;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(fmts); i++) {
		struct tm tm = {0};
		const char *end = strptime(s, fmts[i], &tm);
		if (!end || (*end && strcmp(end, "Z") != 0))
			continue;
		time_t t = timegm(&tm);
		if (t < 0)
			return -EINVAL;
		*ret = (int64_t)t * 1000;
		return 0;
	}
	return -EINVAL;
}

/* A one-line summary of an audit row's detail: the fields staff look for first. */
static void
print_detail(FILE *f, const char *kind, json_t *d)
{
	static const char *const keys[] = {"test",   "step",	"syscall", "status",
					   "reason", "verdict", "by",	   "refused_forks",
					   "file",   "evidence"};
	char buf[512] = "";
	size_t n = 0;

	if (!json_is_object(d)) {
		_cleanup_free_ char *s = d ? json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		put_safe(f, s ? s : "", 80);
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(keys) && n < sizeof(buf); i++) {
		json_t *v = json_object_get(d, keys[i]);
		char val[96];
		if (!v || json_is_null(v))
			continue;
		if (json_is_string(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			continue;
		/* An evidence archive is named by its hash: the first 12 digits are enough to
		 * tell them apart here; `audit list --json` has it whole. */
		if (strcmp(keys[i], "evidence") == 0 && strlen(val) > 12)
			snprintf(val + 12, sizeof(val) - 12, "...");
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s=%s", n ? " " : "", keys[i],
				      val);
	}
	if (strcmp(kind, "violation") == 0 && json_is_true(json_object_get(d, "frozen")) &&
	    n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, " frozen");
	if (!buf[0]) {
		_cleanup_free_ char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		put_safe(f, s ? s : "", 80);
		return;
	}
	put_safe(f, buf, 120);
}

static int
audit_list(struct client *cl, struct opts *o)
{
	char q[1024] = "", path[1100];
	json_t *j, *row;
	size_t i;
	int rc;

	if (o->submission) {
		uint64_t v;
		if (util_parse_u64(o->submission, &v) < 0 || v == 0) {
			fprintf(stderr, "gradebox: --submission: expected a submission id\n");
			return 2;
		}
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "&submission=%" PRIu64, v);
	}
	if (o->student) {
		_cleanup_free_ char *es = enc(o->student);
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "&student=%.200s", es ? es : "");
	}
	if (o->kind) {
		_cleanup_free_ char *ek = enc(o->kind);
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "&kind=%.100s", ek ? ek : "");
	}
	for (int k = 0; k < 2; k++) {
		const char *w = k ? o->until : o->since;
		int64_t ms;
		if (!w)
			continue;
		if (parse_when(w, &ms) < 0) {
			fprintf(stderr,
				"gradebox: --%s: expected milliseconds since the epoch or an ISO "
				"time such as 2026-11-27T03:10:00Z\n",
				k ? "until" : "since");
			return 2;
		}
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "&%s=%" PRIi64,
			 k ? "until" : "since", ms);
	}
	if (o->limit) {
		uint64_t v;
		if (util_parse_u64(o->limit, &v) < 0 || v == 0 || v > 10000) {
			fprintf(stderr, "gradebox: --limit: expected 1-10000\n");
			return 2;
		}
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "&limit=%" PRIu64, v);
	}
	snprintf(path, sizeof(path), "/api/audit%s%s", q[0] ? "?" : "", q[0] ? q + 1 : "");
	j = call_json(cl, EVHTTP_REQ_GET, path, NULL, "audit list", &rc);
	if (!j)
		return rc;
	if (cl->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	printf("%-7s %-21s %-16s %-6s %-16s %s\n", "ID", "TIME", "KIND", "SUB", "STUDENT",
	       "DETAIL");
	json_array_foreach(json_object_get(j, "rows"), i, row)
	{
		char when[32], sub[24] = "-";
		fmt_time(jget_int(row, "ts"), when, sizeof(when));
		if (jget_int(row, "submission_id"))
			snprintf(sub, sizeof(sub), "%" JSON_INTEGER_FORMAT,
				 jget_int(row, "submission_id"));
		printf("%-7" JSON_INTEGER_FORMAT " %-21s %-16s %-6s %-16s ", jget_int(row, "id"),
		       when, jget_str(row, "kind"), sub,
		       *jget_str(row, "student") ? jget_str(row, "student") : "-");
		print_detail(stdout, jget_str(row, "kind"), json_object_get(row, "detail"));
		putchar('\n');
	}
	json_decref(j);
	return 0;
}

static int
audit_verify(struct client *cl)
{
	json_t *j;
	int rc;

	j = call_json(cl, EVHTTP_REQ_GET, "/api/audit/verify", NULL, "audit verify", &rc);
	if (!j)
		return rc;
	if (cl->json)
		print_json(j);
	if (json_is_true(json_object_get(j, "ok"))) {
		if (!cl->json)
			printf("audit chain intact: %" JSON_INTEGER_FORMAT " rows\n",
			       jget_int(j, "rows"));
		rc = 0;
	} else {
		if (!cl->json)
			printf("audit chain broken at row %" JSON_INTEGER_FORMAT ": %s\n",
			       jget_int(j, "first_bad_id"), jget_str(j, "reason"));
		rc = 1;
	}
	json_decref(j);
	return rc;
}

static int
do_audit(struct client *cl, struct opts *o, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return audit_list(cl, o);
	if (argc == 1 && strcmp(argv[0], "verify") == 0 && !o->submission && !o->student &&
	    !o->kind && !o->since && !o->until)
		return audit_verify(cl);
	fprintf(stderr, "usage: gradebox audit list [--submission ID] [--student S] [--kind K] "
			"[--since ISO|MS] [--until ISO|MS] [--limit N] [--json]\n"
			"       gradebox audit verify\n");
	return 2;
}

/* Writes @data to @path through a temp file in the same directory, so a partial download never
 * sits under the final name. */
static int
write_file_atomic(const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = util_write_all(fd, data, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

static int
do_evidence(struct client *cl, struct opts *o, int argc, char **argv)
{
	char name[96], path[160], got[65], file[PATH_MAX];
	struct response r;
	int rc;

	if (argc != 2 || strcmp(argv[0], "get") != 0) {
		fprintf(stderr, "usage: gradebox evidence get SHA256 [-o FILE]\n");
		return 2;
	}
	/* SHA256 or SHA256.tar.gz, as the audit row names it. */
	snprintf(name, sizeof(name), "%.64s.tar.gz", argv[1]);
	if (!api_valid_evidence_name(name) ||
	    (strlen(argv[1]) != 64 && strcmp(argv[1] + 64, ".tar.gz") != 0)) {
		fprintf(stderr, "gradebox: evidence get: expected 64 lowercase hex digits, got '");
		put_safe(stderr, argv[1], 100);
		fprintf(stderr, "'\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/api/evidence/%s", name);
	if (http(cl, EVHTTP_REQ_GET, path, NULL, NULL, 0, &r) < 0 || r.code != 200) {
		rc = fail("evidence get", &r);
		response_clear(&r);
		return rc;
	}
	/* The name is the content's hash: check what arrived before keeping it. */
	hash_sha256_hex(r.body, r.len, got);
	if (strncmp(got, name, 64) != 0) {
		fprintf(stderr,
			"gradebox: evidence get: sha256 of the download is %s, expected %.64s; "
			"not saved\n",
			got, name);
		response_clear(&r);
		return 1;
	}
	snprintf(file, sizeof(file), "%s", o->output ? o->output : name);
	rc = strcmp(file, "-") == 0 ? util_write_all(STDOUT_FILENO, r.body, r.len)
				    : write_file_atomic(file, r.body, r.len);
	if (rc < 0) {
		fprintf(stderr, "gradebox: evidence get: cannot write '%s': %s\n", file,
			strerror(-rc));
		response_clear(&r);
		return 2;
	}
	if (strcmp(file, "-") != 0)
		fprintf(stderr, "evidence %s: %zu bytes, sha256 verified, saved to %s\n", name,
			r.len, file);
	response_clear(&r);
	return 0;
}

/* The server's commands; `student-token` (no server needed) is handled before these. */
static const struct {
	const char *name;
	int (*run)(struct client *cl, struct opts *o, int argc, char **argv);
} commands[] = {
	{"assignment", do_assignment}, {"submit", do_submit},	{"batch", do_batch},
	{"status", do_status},	       {"results", do_results}, {"export", do_export},
	{"regrade", do_regrade},       {"cancel", do_cancel},	{"audit", do_audit},
	{"evidence", do_evidence},
};

static int
command_index(const char *cmd)
{
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return (int)i;
	return -1;
}

bool
client_is_command(const char *cmd)
{
	return strcmp(cmd, "student-token") == 0 || command_index(cmd) >= 0;
}

void
client_usage(FILE *f)
{
	fputs("  assignment add DIR | list             add an assignment version / list them\n"
	      "  submit --assignment A --student S FILE  queue one submission\n"
	      "  batch --assignment A [--wait] FILES...|DIR  submit many (student = file name)\n"
	      "  status JOB_ID | --student S          job state / a student's submissions\n"
	      "  results JOB_ID [--student S] [--json] per-test results\n"
	      "  export --assignment A --csv | --gradescope --student S\n"
	      "  regrade SUBMISSION_ID | --assignment A  grade again\n"
	      "  cancel JOB_ID                        cancel a queued or running job\n"
	      "  student-token LOGIN                  the token a student uses for own results\n"
	      "  audit list [--submission ID] [--student S] [--kind K] [--since ISO|MS] [--json]\n"
	      "  audit verify                         check the audit trail's hash chain\n"
	      "  evidence get SHA256 [-o FILE]        download a violation's evidence archive\n"
	      "  (client options: --server URL, --data-dir DIR, --timeout S; $GRADEBOX_SERVER,\n"
	      "   $GRADEBOX_DATA, $GRADEBOX_TOKEN)\n",
	      f);
}

int
cmd_client(const char *cmd, int argc, char **argv)
{
	struct client cl = {0};
	struct opts o = {0};
	int rc;

	if (parse_opts(&cl, &o, argc, argv) < 0) {
		fprintf(stderr, "usage:\n");
		client_usage(stderr);
		return 2;
	}
	if (o.help) {
		printf("usage: gradebox COMMAND ...\n");
		client_usage(stdout);
		return 0;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "student-token") == 0) {
		rc = do_student_token(&cl, argc, argv);
		explicit_bzero(cl.token, sizeof(cl.token));
		return rc;
	}
	int i = command_index(cmd);
	if (i < 0) {
		fprintf(stderr, "gradebox: unknown command '%s'\n", cmd);
		return 2;
	}
	if (client_init(&cl) < 0) {
		client_done(&cl);
		return 2;
	}
	rc = commands[i].run(&cl, &o, argc, argv);
	client_done(&cl);
	return rc;
}

/* --- added for `gradebox demo` (grader/cmd_demo.c): the HTTP helpers above, exported ------- */

int
client_open(const char *server, const char *data_dir, int timeout_s, struct client **ret)
{
	struct client *cl = calloc(1, sizeof(*cl));
	int r;

	if (!cl)
		return -ENOMEM;
	cl->server = server ? server : DEFAULT_SERVER;
	cl->data_dir = data_dir ? data_dir : DEFAULT_DATA_DIR;
	cl->timeout_s = timeout_s > 0 ? timeout_s : 30;
	r = client_init(cl);
	if (r < 0) {
		client_done(cl);
		free(cl);
		return r;
	}
	*ret = cl;
	return 0;
}

struct client *
client_free(struct client *cl)
{
	if (cl) {
		client_done(cl);
		free(cl);
	}
	return NULL;
}

int
client_request(struct client *cl, bool post, const char *path, const char *type, const void *body,
	       size_t len, int *ret_code, char **ret_body, size_t *ret_len, char *reterr,
	       size_t errsize)
{
	struct response r;
	int rc = http(cl, post ? EVHTTP_REQ_POST : EVHTTP_REQ_GET, path, type, body, len, &r);

	if (rc < 0) {
		snprintf(reterr, errsize, "%s", r.err[0] ? r.err : "request failed");
		response_clear(&r);
		return rc;
	}
	if (r.code / 100 != 2)
		reason(&r, reterr, errsize);
	*ret_code = r.code;
	if (ret_body)
		*ret_body = TAKE_PTR(r.body);
	if (ret_len)
		*ret_len = r.len;
	response_clear(&r);
	return 0;
}

json_t *
client_json(struct client *cl, bool post, const char *path, const char *body, int *ret_code,
	    char *reterr, size_t errsize)
{
	_cleanup_free_ char *txt = NULL;
	json_t *j;
	int code = 0;

	*ret_code = 0;
	if (client_request(cl, post, path, body ? "application/json" : NULL, body,
			   body ? strlen(body) : 0, &code, &txt, NULL, reterr, errsize) < 0)
		return NULL;
	*ret_code = code;
	if (code / 100 != 2)
		return NULL;
	j = txt ? json_loads(txt, 0, NULL) : NULL;
	if (!j)
		snprintf(reterr, errsize, "the server's reply is not JSON");
	return j;
}
