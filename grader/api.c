/* SPDX-License-Identifier: MIT */
/* The JSON HTTP API of `gradebox serve` on evhttp: routing, bearer-token roles (staff, and a
 * per-student token derived from the staff token), and the handlers. Uploads are only checked
 * by their magic bytes here: archives are parsed inside a sandbox by the pipeline, never in the
 * server process. See docs/API.md. */
#include "api.h"

#include "assignment.h"
#include "db.h"
#include "log.h"
#include "queue.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/stat.h>

/* Copying an assignment directory blocks the loop, so it is bounded. */
#define COPY_MAX_ENTRIES 10000
#define COPY_MAX_BYTES	 (512ULL << 20)
#define COPY_MAX_DEPTH	 16

/* --- pure helpers ------------------------------------------------------------------------- */

const char *
api_archive_kind(const void *buf, size_t len)
{
	const unsigned char *b = buf;

	if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return "gzip";
	if (len >= 6 && memcmp(b, "\xfd\x37\x7a\x58\x5a\x00", 6) == 0)
		return "xz";
	if (len >= 3 && memcmp(b, "BZh", 3) == 0)
		return "bzip2";
	if (len >= 4 && memcmp(b, "PK\x03\x04", 4) == 0)
		return "zip";
	/* POSIX ustar ("ustar\0") and GNU tar ("ustar  \0") both start with these 5 bytes. */
	if (len >= 262 && memcmp(b + 257, "ustar", 5) == 0)
		return "tar";
	return NULL;
}

int
api_valid_login(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	/* The first character is alphanumeric: a login is never a dot-file name, "..", or
	 * something a shell tool would take for an option. */
	if (n < 1 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("._-", s[i])))
			return 0;
	return 1;
}

int
api_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
			return 0;
	return 1;
}

/* Length of the valid UTF-8 sequence at @b (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0 if it is not one. */
static size_t
utf8_seq(const unsigned char *b, size_t len)
{
	if (b[0] >= 0x01 && b[0] < 0x80)
		return 1;
	if (b[0] >= 0xc2 && b[0] <= 0xdf)
		return len >= 2 && (b[1] & 0xc0) == 0x80 ? 2 : 0;
	if (b[0] >= 0xe0 && b[0] <= 0xef) {
		if (len < 3 || (b[1] & 0xc0) != 0x80 || (b[2] & 0xc0) != 0x80)
			return 0;
		if (b[0] == 0xe0 && b[1] < 0xa0) /* overlong */
			return 0;
		if (b[0] == 0xed && b[1] >= 0xa0) /* UTF-16 surrogates */
			return 0;
		return 3;
	}
	if (b[0] >= 0xf0 && b[0] <= 0xf4) {
		if (len < 4 || (b[1] & 0xc0) != 0x80 || (b[2] & 0xc0) != 0x80 ||
		    (b[3] & 0xc0) != 0x80)
			return 0;
		if (b[0] == 0xf0 && b[1] < 0x90) /* overlong */
			return 0;
		if (b[0] == 0xf4 && b[1] >= 0x90) /* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

char *
api_utf8_sanitize(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	/* Worst case every byte becomes the 3-byte U+FFFD. */
	char *out = malloc(len * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(b + i, len - i);
		if (n == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, b + i, n);
		o += n;
		i += n;
	}
	*o = 0;
	return out;
}

char *
api_csv_field(const char *s)
{
	size_t n = 0, len = strlen(s);
	char *out, *o;

	if (!strpbrk(s, ",\"\r\n"))
		return strdup(s);
	for (size_t i = 0; i < len; i++)
		n += s[i] == '"' ? 2 : 1;
	out = malloc(n + 3);
	if (!out)
		return NULL;
	o = out;
	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			*o++ = '"';
		*o++ = s[i];
	}
	*o++ = '"';
	*o = 0;
	return out;
}

void
api_student_token(const char *staff_token, const char *login, char ret[65])
{
	_cleanup_free_ char *s = NULL;

	if (asprintf(&s, "%s:%s", staff_token, login) < 0) {
		ret[0] = 0; /* matches no presented token: an empty one is refused earlier */
		return;
	}
	db_sha256_hex(s, strlen(s), ret);
}

/* --- replies ------------------------------------------------------------------------------ */

/* A JSON string from possibly invalid UTF-8 (program output, compiler output, uploaded names);
 * NULL gives null. */
static json_t *
jstr_n(const void *s, size_t len)
{
	_cleanup_free_ char *clean = NULL;

	if (!s)
		return json_null();
	clean = api_utf8_sanitize(s, len);
	return clean ? json_string(clean) : json_null();
}

static json_t *
jstr(const char *s)
{
	return s ? jstr_n(s, strlen(s)) : json_null();
}

static const char *
reason_phrase(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

static void
send_body(struct evhttp_request *req, int code, const char *type, const char *body, size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (!buf || evbuffer_add(buf, body, len) < 0) {
		evhttp_send_error(req, 500, "out of memory");
		if (buf)
			evbuffer_free(buf);
		return;
	}
	evhttp_send_reply(req, code, reason_phrase(code), buf);
	evbuffer_free(buf);
}

/* Takes ownership of @j. */
static void
reply_json(struct evhttp_request *req, int code, json_t *j)
{
	_cleanup_free_ char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!s) {
		send_body(req, 500, "application/json", "{\"error\":\"out of memory\"}\n", 26);
		return;
	}
	size_t n = strlen(s);
	s[n] = 0;
	send_body(req, code, "application/json", s, n);
}

static const char *
method_name(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "OTHER";
	}
}

/* {"error": why}; every rejection is logged once, the URI escaped (it is client-controlled). */
_printf_(3, 4) static void reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	char esc_uri[256], esc_msg[512];
	const char *uri = evhttp_request_get_uri(req);
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	log_info("api: %s %s -> %d: %s", method_name(req),
		 log_escape(uri ? uri : "", uri ? strlen(uri) : 0, esc_uri, sizeof(esc_uri)), code,
		 log_escape(msg ? msg : "", msg ? strlen(msg) : 0, esc_msg, sizeof(esc_msg)));
	reply_json(req, code, json_pack("{s:o}", "error", jstr(msg ? msg : "out of memory")));
}

/* Maps a -errno from db/queue to a reply. */
static void
reply_errno(struct evhttp_request *req, int r, const char *what)
{
	switch (r) {
	case -ENOENT:
		reply_error(req, 404, "%s: not found", what);
		break;
	case -EEXIST:
		reply_error(req, 409, "%s: already exists", what);
		break;
	case -EINVAL:
		reply_error(req, 400, "%s: invalid", what);
		break;
	case -EBUSY:
		/* Nothing was written (the transaction rolled back): the request can be sent
		 * again as it was, and the CLI does so when it sees Retry-After. */
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		reply_error(req, 503, "%s: database busy (locked by another process), retry", what);
		break;
	case -ENOSPC:
	case -EROFS:
		reply_error(req, 503, "%s: storage unavailable (%s)", what, strerror(-r));
		break;
	default:
		log_error_errno(r, "api: %s: %m", what);
		reply_error(req, 500, "%s: internal error (%s)", what, strerror(-r));
	}
}

/* --- request state ------------------------------------------------------------------------ */

enum role {
	ROLE_NONE,
	ROLE_STUDENT, /* a student token for the login in the path */
	ROLE_STAFF,
};

#define MAX_SEGS 8

struct call {
	struct evhttp_request *req; /* borrowed */
	struct api_context *ctx;    /* borrowed */
	char *seg[MAX_SEGS];	    /* path segments after "/api", borrowed from @path */
	size_t n_seg;
	struct evkeyvalq query; /* decoded query parameters */
	enum role role;
};

static const char *
qparam(struct call *c, const char *key)
{
	return evhttp_find_header(&c->query, key);
}

/* Who made the request, for audit rows: the role and the peer address. Staff share one token,
 * so the address is all that tells two staff members apart. */
static const char *
actor(struct call *c, char *buf, size_t size)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(c->req);
	char *addr = NULL; /* borrowed from @conn */
	ev_uint16_t port = 0;

	if (conn)
		evhttp_connection_get_peer(conn, &addr, &port);
	snprintf(buf, size, "%s@%s", c->role == ROLE_STAFF ? "staff" : "student",
		 addr ? addr : "?");
	return buf;
}

/* Parses an id from a path segment or parameter. */
static int
parse_id(const char *s, int64_t *ret)
{
	uint64_t v;

	if (!s || util_parse_u64(s, &v) < 0 || v == 0 || v > INT64_MAX)
		return -EINVAL;
	*ret = (int64_t)v;
	return 0;
}

/* The body, contiguous. Rejects (and returns NULL) above max_body. */
static const unsigned char *
body(struct call *c, size_t *ret_len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t len = evbuffer_get_length(in);

	if (c->ctx->max_body && len > c->ctx->max_body) {
		reply_error(c->req, 413, "request body of %zu bytes exceeds the limit of %zu", len,
			    c->ctx->max_body);
		return NULL;
	}
	*ret_len = len;
	return len ? evbuffer_pullup(in, -1) : (const unsigned char *)"";
}

/* Parses a JSON object body; replies 400/413 and returns NULL on failure. */
static json_t *
body_json(struct call *c)
{
	json_error_t e;
	size_t len;
	const unsigned char *b = body(c, &len);
	json_t *j;

	if (!b)
		return NULL;
	j = json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		reply_error(c->req, 400, "bad JSON body: %s (line %d, column %d)", e.text, e.line,
			    e.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		reply_error(c->req, 400, "bad JSON body: expected an object");
		return NULL;
	}
	return j;
}

static int
priority_param(struct call *c, int *ret)
{
	const char *p = qparam(c, "priority");
	char *end;
	long v;

	*ret = 0;
	if (!p)
		return 0;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || end == p || *end || v < -1000 || v > 1000) {
		reply_error(c->req, 400, "priority: expected an integer in [-1000, 1000]");
		return -EINVAL;
	}
	*ret = (int)v;
	return 0;
}

/* Resolves assignment @name (version from ?version=, default the latest). Replies on failure. */
static int
find_assignment(struct call *c, const char *name, int64_t *ret_id)
{
	const char *vs = qparam(c, "version");
	uint64_t v = 0;
	int r;

	if (!api_valid_name(name)) {
		reply_error(c->req, 400, "assignment name must match [A-Za-z0-9._-]{1,64}");
		return -EINVAL;
	}
	if (vs && (util_parse_u64(vs, &v) < 0 || v == 0 || v > INT_MAX)) {
		reply_error(c->req, 400, "version: expected a positive integer");
		return -EINVAL;
	}
	r = db_assignment_find(c->ctx->db, name, (int)v, ret_id);
	if (r == -ENOENT) {
		if (v)
			reply_error(c->req, 404, "no assignment '%s' version %" PRIu64, name, v);
		else
			reply_error(c->req, 404, "no assignment '%s'", name);
	} else if (r < 0)
		reply_errno(c->req, r, "assignment lookup");
	return r;
}

/* --- status rows -------------------------------------------------------------------------- */

static json_t *
ms_or_null(int64_t ms)
{
	return ms ? json_integer(ms) : json_null();
}

static json_t *
status_json(const struct queue_job_status *st, bool student_view)
{
	json_t *j = json_object();

	json_object_set_new(j, "job_id", json_integer(st->job_id));
	json_object_set_new(j, "submission_id", json_integer(st->submission_id));
	json_object_set_new(j, "batch_id", st->batch_id ? json_integer(st->batch_id) : json_null());
	json_object_set_new(j, "student", jstr(st->student));
	json_object_set_new(j, "assignment", jstr(st->assignment));
	json_object_set_new(j, "version", json_integer(st->assignment_version));
	json_object_set_new(j, "kind", jstr(st->kind));
	json_object_set_new(j, "state", jstr(st->state));
	json_object_set_new(j, "verdict", jstr(st->verdict));
	json_object_set_new(j, "score", st->verdict ? json_real(st->score) : json_null());
	json_object_set_new(j, "max_score", st->verdict ? json_real(st->max_score) : json_null());
	json_object_set_new(j, "sha256", jstr(st->sha256));
	json_object_set_new(j, "filename", jstr(st->original_name));
	json_object_set_new(j, "submitted_at", ms_or_null(st->submitted_at));
	json_object_set_new(j, "queued_at", ms_or_null(st->queued_at));
	json_object_set_new(j, "started_at", ms_or_null(st->started_at));
	json_object_set_new(j, "finished_at", ms_or_null(st->finished_at));
	json_object_set_new(j, "message", jstr(st->message));
	/* The grader's own errors and scheduling details are for staff. */
	if (!student_view) {
		json_object_set_new(j, "priority", json_integer(st->priority));
		json_object_set_new(j, "attempts", json_integer(st->attempts));
		json_object_set_new(j, "max_attempts", json_integer(st->max_attempts));
		json_object_set_new(j, "unpacked_at", ms_or_null(st->unpacked_at));
		json_object_set_new(j, "built_at", ms_or_null(st->built_at));
		json_object_set_new(j, "last_error", jstr(st->last_error));
	}
	return j;
}

struct status_acc {
	json_t *jobs; /* array */
	bool student_view;
	json_t *first; /* owned: the first row, full (with compiler output) */
	int64_t assignment_id;
	char student[65];
	size_t counts[5]; /* queued running done failed cancelled */
};

static int
status_cb(const struct queue_job_status *st, void *userdata)
{
	struct status_acc *a = userdata;
	static const char *const states[] = {"queued", "running", "done", "failed", "cancelled"};

	for (size_t i = 0; i < ELEMENTSOF(states); i++)
		if (st->state && strcmp(st->state, states[i]) == 0)
			a->counts[i]++;
	if (!a->first) {
		a->first = status_json(st, a->student_view);
		json_object_set_new(a->first, "compiler_output", jstr(st->compiler_output));
		a->assignment_id = st->assignment_id;
		snprintf(a->student, sizeof(a->student), "%s", st->student ? st->student : "");
	}
	if (a->jobs)
		json_array_append_new(a->jobs, status_json(st, a->student_view));
	return 0;
}

/* --- handlers ----------------------------------------------------------------------------- */

static void
h_health(struct call *c)
{
	int slots = 0, busy = 0, draining = 0;

	if (c->ctx->health)
		c->ctx->health(c->ctx->arg, &slots, &busy, &draining);
	reply_json(c->req, 200,
		   json_pack("{s:b, s:i, s:i, s:b}", "ok", 1, "slots", slots, "busy", busy,
			     "draining", draining));
}

static int
random_hex(char *buf, size_t n_bytes)
{
	unsigned char r[32];

	if (n_bytes > sizeof(r) || getrandom(r, n_bytes, 0) != (ssize_t)n_bytes)
		return -EIO;
	for (size_t i = 0; i < n_bytes; i++)
		sprintf(buf + 2 * i, "%02x", r[i]);
	return 0;
}

struct copy_state {
	size_t entries;
	uint64_t bytes;
	char err[512];
};

static int
copy_file(int sfd, int dfd, const char *name, const char *rel, struct copy_state *cs)
{
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	char buf[65536];
	ssize_t n;

	/* O_NOFOLLOW plus the fstat below: what is copied is the regular file that was listed,
	 * even if the entry is swapped for a symlink or a FIFO in between. */
	in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		snprintf(cs->err, sizeof(cs->err), "cannot read '%s': %s", rel, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(cs->err, sizeof(cs->err), "'%s' is not a regular file", rel);
		return -EINVAL;
	}
	cs->bytes += (uint64_t)st.st_size;
	if (cs->bytes > COPY_MAX_BYTES) {
		snprintf(cs->err, sizeof(cs->err), "assignment dir larger than %llu MiB",
			 COPY_MAX_BYTES >> 20);
		return -EFBIG;
	}
	/* No setuid/setgid/sticky bits survive; execute bits do (checker programs). */
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     (st.st_mode & 0111) ? 0755 : 0644);
	if (out < 0) {
		snprintf(cs->err, sizeof(cs->err), "cannot create copy of '%s': %s", rel,
			 strerror(errno));
		return -errno;
	}
	while ((n = util_read_full(in, buf, sizeof(buf))) > 0) {
		int r = util_write_all(out, buf, (size_t)n);
		if (r < 0) {
			snprintf(cs->err, sizeof(cs->err), "writing copy of '%s': %s", rel,
				 strerror(-r));
			return r;
		}
	}
	if (n < 0) {
		snprintf(cs->err, sizeof(cs->err), "reading '%s': %s", rel, strerror((int)-n));
		return (int)n;
	}
	return 0;
}

/* Copies the tree under @sfd into @dfd: regular files and directories only. A symlink is
 * refused rather than skipped or followed: following it could copy any file root can read
 * into a place students' code sees, and skipping it would silently change the assignment. */
static int
copy_tree(int sfd, int dfd, const char *prefix, int depth, struct copy_state *cs)
{
	_cleanup_(closedirp_) DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	if (depth > COPY_MAX_DEPTH) {
		snprintf(cs->err, sizeof(cs->err), "'%s' nested deeper than %d levels", prefix,
			 COPY_MAX_DEPTH);
		return -ELOOP;
	}
	fd = dup(sfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		(void)close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		char rel[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", de->d_name);
		if (++cs->entries > COPY_MAX_ENTRIES) {
			snprintf(cs->err, sizeof(cs->err), "more than %d entries in the directory",
				 COPY_MAX_ENTRIES);
			return -EFBIG;
		}
		if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(cs->err, sizeof(cs->err), "'%.300s': %s", rel, strerror(errno));
			return -errno;
		}
		if (S_ISREG(st.st_mode)) {
			r = copy_file(sfd, dfd, de->d_name, rel, cs);
			if (r < 0)
				return r;
		} else if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int s2 = -1, d2 = -1;
			if (mkdirat(dfd, de->d_name, 0755) < 0) {
				snprintf(cs->err, sizeof(cs->err), "cannot create '%.300s': %s",
					 rel, strerror(errno));
				return -errno;
			}
			s2 = openat(sfd, de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			d2 = openat(dfd, de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0) {
				snprintf(cs->err, sizeof(cs->err), "cannot open '%.300s': %s", rel,
					 strerror(errno));
				return -errno;
			}
			r = copy_tree(s2, d2, rel, depth + 1, cs);
			if (r < 0)
				return r;
		} else {
			snprintf(cs->err, sizeof(cs->err),
				 "'%.300s' is a %s; an assignment dir may hold only regular files "
				 "and "
				 "directories",
				 rel, S_ISLNK(st.st_mode) ? "symlink" : "special file");
			return -EINVAL;
		}
	}
	if (errno) {
		snprintf(cs->err, sizeof(cs->err), "reading '%.300s': %s", prefix, strerror(errno));
		return -errno;
	}
	return 0;
}

static int
max_version_cb(const struct queue_assignment_row *row, void *userdata)
{
	int *v = userdata;
	if (row->version > *v)
		*v = row->version;
	return 0;
}

static void
h_assignment_add(struct call *c)
{
	_cleanup_(assignment_freep) struct assignment *a = NULL;
	_cleanup_free_ struct db_test_def *defs = NULL;
	_cleanup_close_ int sfd = -1, dfd = -1;
	char rnd[17], tmp_rel[64], tmp_abs[PATH_MAX], adir[PATH_MAX], final_rel[PATH_MAX],
		final_abs[PATH_MAX];
	struct assignment_error aerr = {0};
	struct copy_state cs = {0};
	json_t *j = body_json(c), *jp;
	_cleanup_free_ char *path_buf = NULL;
	const char *path = NULL;
	int64_t id;
	int r, version = 0, predicted = 0;

	if (!j)
		return;
	jp = json_object_get(j, "path");
	if (json_string_value(jp))
		path = path_buf = strdup(json_string_value(jp));
	json_decref(j);
	if (!path || path[0] != '/')
		return reply_error(c->req, 400,
				   "\"path\": expected the absolute path of a directory");
	sfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return reply_error(c->req, 400, "path '%s': %s", path, strerror(errno));

	snprintf(adir, sizeof(adir), "%s/assignments", c->ctx->data_dir);
	r = util_mkdir_p(adir, 0755);
	if (r < 0)
		return reply_errno(c->req, r, "creating the assignments dir");
	if (random_hex(rnd, 8) < 0)
		return reply_error(c->req, 500, "no randomness");
	snprintf(tmp_rel, sizeof(tmp_rel), "assignments/.tmp-%s", rnd);
	snprintf(tmp_abs, sizeof(tmp_abs), "%s/%s", c->ctx->data_dir, tmp_rel);
	if (mkdir(tmp_abs, 0755) < 0)
		return reply_errno(c->req, -errno, "creating the assignment copy");
	dfd = open(tmp_abs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		(void)util_rm_rf(tmp_abs);
		return reply_errno(c->req, r, "opening the assignment copy");
	}
	r = copy_tree(sfd, dfd, "", 0, &cs);
	if (r < 0) {
		(void)util_rm_rf(tmp_abs);
		if (cs.err[0])
			return reply_error(c->req, 400, "copying '%s': %s", path, cs.err);
		return reply_errno(c->req, r, "copying the assignment");
	}

	/* Validate the copy, not the original: what was checked is exactly what gets graded. */
	r = assignment_load(tmp_abs, &a, &aerr);
	if (r < 0) {
		(void)util_rm_rf(tmp_abs);
		if (r == -ENOMEM)
			return reply_errno(c->req, r, "loading the assignment");
		json_t *e = json_pack("{s:o, s:s, s:s, s:o}", "error",
				      jstr(aerr.message[0] ? aerr.message : strerror(-r)), "file",
				      ASSIGNMENT_SPEC_FILE, "field", aerr.field, "reason",
				      jstr(aerr.message));
		if (aerr.line)
			json_object_set_new(e, "line", json_integer(aerr.line));
		if (aerr.column)
			json_object_set_new(e, "column", json_integer(aerr.column));
		if (aerr.file[0]) {
			/* The loader names files by the path it was given: the temp copy. Show the
			 * staff member's path instead. */
			const char *f = aerr.file;
			if (strncmp(f, tmp_abs, strlen(tmp_abs)) == 0)
				f += strlen(tmp_abs) + (f[strlen(tmp_abs)] == '/');
			json_object_set_new(e, "file", jstr(f));
		}
		char msg[700];
		snprintf(msg, sizeof(msg), "bad assignment spec: %s%s%s: %s",
			 json_string_value(json_object_get(e, "file")), aerr.field[0] ? ": " : "",
			 aerr.field, aerr.message[0] ? aerr.message : strerror(-r));
		json_object_set_new(e, "error", jstr(msg));
		char esc[512];
		log_info("api: POST /api/assignments -> 400: %s",
			 log_escape(msg, strlen(msg), esc, sizeof(esc)));
		return reply_json(c->req, 400, e);
	}

	/* The single-threaded loop is the only writer of assignments, so the predicted version is
	 * the one db_assignment_add() assigns; the random part keeps the name unique anyway. */
	r = queue_assignments(c->ctx->db, a->name, 0, max_version_cb, &predicted);
	if (r < 0) {
		(void)util_rm_rf(tmp_abs);
		return reply_errno(c->req, r, "assignment lookup");
	}
	snprintf(final_rel, sizeof(final_rel), "assignments/%s-v%d-%s", a->name, predicted + 1,
		 rnd);
	if (snprintf(final_abs, sizeof(final_abs), "%s/%s", c->ctx->data_dir, final_rel) >=
	    (int)sizeof(final_abs)) {
		(void)util_rm_rf(tmp_abs);
		return reply_errno(c->req, -ENAMETOOLONG, "storing the assignment copy");
	}
	if (rename(tmp_abs, final_abs) < 0) {
		r = -errno;
		(void)util_rm_rf(tmp_abs);
		return reply_errno(c->req, r, "storing the assignment copy");
	}

	defs = calloc(a->n_tests ? a->n_tests : 1, sizeof(*defs));
	if (!defs) {
		(void)util_rm_rf(final_abs);
		return reply_errno(c->req, -ENOMEM, "adding the assignment");
	}
	for (size_t i = 0; i < a->n_tests; i++)
		defs[i] = (struct db_test_def){
			.name = a->tests[i].name,
			.points = a->tests[i].points,
			.visibility = assignment_visibility_to_string(a->tests[i].visibility),
		};
	char by[96];
	r = db_assignment_add(c->ctx->db, a->name, a->title, a->spec_json, final_rel,
			      a->has_due ? a->due_ms : 0, defs, a->n_tests,
			      actor(c, by, sizeof(by)), &id, &version);
	if (r < 0) {
		(void)util_rm_rf(final_abs);
		return reply_errno(c->req, r, "adding the assignment");
	}
	char esc[256];
	log_info("api: added assignment '%s' version %d (id %" PRIi64 ", %zu tests) from '%s'",
		 a->name, version, id, a->n_tests,
		 log_escape(path, strlen(path), esc, sizeof(esc)));
	reply_json(c->req, 201,
		   json_pack("{s:I, s:s, s:i, s:i, s:f, s:s}", "id", (json_int_t)id, "name",
			     a->name, "version", version, "tests", (int)a->n_tests, "max_score",
			     a->max_score, "path", final_rel));
}

static int
list_cb(const struct queue_assignment_row *row, void *userdata)
{
	json_t *arr = userdata;
	size_t n = json_array_size(arr);
	json_t *last = n ? json_array_get(arr, n - 1) : NULL;
	json_t *o;

	/* Rows come by name then version: the last row of a name is its latest version. */
	if (last && strcmp(json_string_value(json_object_get(last, "name")), row->name) == 0)
		o = last;
	else {
		o = json_object();
		json_object_set_new(o, "name", jstr(row->name));
		json_array_append_new(arr, o);
	}
	json_object_set_new(o, "versions", json_integer(row->version));
	json_object_set_new(o, "id", json_integer(row->id));
	json_object_set_new(o, "title", jstr(row->title));
	json_object_set_new(o, "tests", json_integer(row->n_tests));
	json_object_set_new(o, "max_score", json_real(row->max_score));
	json_object_set_new(o, "due_at", ms_or_null(row->due_at));
	json_object_set_new(o, "created_at", ms_or_null(row->created_at));
	return 0;
}

static void
h_assignment_list(struct call *c)
{
	json_t *arr = json_array();
	int r = queue_assignments(c->ctx->db, NULL, 0, list_cb, arr);

	if (r < 0) {
		json_decref(arr);
		return reply_errno(c->req, r, "listing assignments");
	}
	reply_json(c->req, 200, json_pack("{s:o}", "assignments", arr));
}

static bool
upload_type_ok(const char *type)
{
	static const char *const ok[] = {
		"application/octet-stream", "application/gzip",	  "application/x-gzip",
		"application/x-tar",	    "application/x-gtar", "application/x-xz",
		"application/x-bzip2",	    "application/zip",	  "application/x-compressed-tar",
	};
	size_t n;

	if (!type)
		return true;
	n = strcspn(type, "; ");
	for (size_t i = 0; i < ELEMENTSOF(ok); i++)
		if (strlen(ok[i]) == n && strncasecmp(type, ok[i], n) == 0)
			return true;
	return false;
}

/* Stores @data as blobs/<sha256>: written to a temp name with O_EXCL, fsynced, renamed, so a
 * reader never sees a partial blob and an identical upload is just stored again. *ret_path is
 * the blob's full path; *ret_new says whether no identical upload had stored it before (so
 * that a failure after this one may remove it). */
static int
store_blob(const char *data_dir, const void *data, size_t len, const char *sha, char *ret_rel,
	   size_t size, char ret_path[PATH_MAX], bool *ret_new)
{
	char dir[PATH_MAX], tmp[PATH_MAX], final[PATH_MAX], rnd[17];
	_cleanup_close_ int fd = -1;
	int r;

	snprintf(dir, sizeof(dir), "%s/blobs", data_dir);
	r = util_mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	r = random_hex(rnd, 8);
	if (r < 0)
		return r;
	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, rnd) >= (int)sizeof(tmp) ||
	    snprintf(final, sizeof(final), "%s/%s", dir, sha) >= (int)sizeof(final))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = util_write_all(fd, data, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	bool existed = r >= 0 && access(final, F_OK) == 0;
	if (r >= 0 && rename(tmp, final) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	snprintf(ret_rel, size, "blobs/%s", sha);
	memcpy(ret_path, final, PATH_MAX);
	*ret_new = !existed;
	return 0;
}

static void
h_submission_add(struct call *c)
{
	const char *aname = qparam(c, "assignment"), *login = qparam(c, "student"),
		   *fname = qparam(c, "filename"), *bs = qparam(c, "batch");
	const char *type =
		evhttp_find_header(evhttp_request_get_input_headers(c->req), "Content-Type");
	int64_t aid, batch = 0, batch_aid, sid, subid, jid;
	char sha[65], rel[PATH_MAX], esc[128];
	const unsigned char *b;
	size_t len;
	int prio, r, slots = 0, busy = 0, draining = 0;

	if (c->ctx->health)
		c->ctx->health(c->ctx->arg, &slots, &busy, &draining);
	if (draining)
		return reply_error(c->req, 503, "server is draining: not accepting submissions");
	if (!aname)
		return reply_error(c->req, 400, "missing parameter 'assignment'");
	if (!login)
		return reply_error(c->req, 400, "missing parameter 'student'");
	if (!api_valid_login(login))
		return reply_error(c->req, 400,
				   "student login must match [a-z0-9][a-z0-9._-]{0,63}");
	if (fname && (strlen(fname) > 255 || strpbrk(fname, "/\n\r")))
		return reply_error(c->req, 400,
				   "filename: at most 255 bytes, no '/', no line breaks");
	if (bs && parse_id(bs, &batch) < 0)
		return reply_error(c->req, 400, "batch: expected a positive integer id");
	if (priority_param(c, &prio) < 0)
		return;
	if (!upload_type_ok(type))
		return reply_error(c->req, 415,
				   "Content-Type '%s' is not an archive type "
				   "(send application/octet-stream)",
				   type);
	if (find_assignment(c, aname, &aid) < 0)
		return;
	if (batch) {
		r = queue_batch_get(c->ctx->db, batch, &batch_aid);
		if (r == -ENOENT)
			return reply_error(c->req, 404, "no batch %" PRIi64, batch);
		if (r < 0)
			return reply_errno(c->req, r, "batch lookup");
		if (batch_aid && batch_aid != aid)
			return reply_error(
				c->req, 409,
				"batch %" PRIi64 " belongs to another assignment version", batch);
	}

	b = body(c, &len);
	if (!b)
		return;
	if (len == 0)
		return reply_error(c->req, 400, "empty submission");
	if (!api_archive_kind(b, len)) {
		char hex[40] = "";
		for (size_t i = 0; i < len && i < 8; i++)
			snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%s%02x",
				 i ? " " : "", b[i]);
		return reply_error(
			c->req, 415,
			"not a tar/zip archive (first bytes %s; expected gzip, xz, bzip2, "
			"zip or ustar)",
			hex);
	}

	db_sha256_hex(b, len, sha);
	char blob[PATH_MAX];
	bool new_blob = false;
	r = store_blob(c->ctx->data_dir, b, len, sha, rel, sizeof(rel), blob, &new_blob);
	if (r < 0)
		return reply_errno(c->req, r, "storing the submission");
	/* The student, the submission and its job in one transaction: a failure leaves none of
	 * them (a submission without a job would never be graded), and a blob nobody refers to
	 * is removed. */
	const char *what = "recording the submission";
	char by[96];
	r = db_begin_immediate(c->ctx->db);
	if (r == 0) {
		_cleanup_(db_txn_endp) struct db *txn = c->ctx->db;
		if ((r = db_student_ensure(c->ctx->db, login, NULL, &sid)) < 0)
			what = "student";
		else if ((r = db_submission_add(c->ctx->db, sid, aid, sha, len, fname, rel,
						actor(c, by, sizeof(by)), &subid)) < 0)
			what = "recording the submission";
		else if ((r = queue_enqueue_batch(c->ctx->db, subid, prio, batch, &jid)) < 0)
			what = "queueing the submission";
		else if ((r = db_commit(c->ctx->db)) == 0)
			TAKE_PTR(txn);
	}
	if (r < 0) {
		if (new_blob) /* else an identical earlier upload owns it */
			(void)unlink(blob);
		return reply_errno(c->req, r, what);
	}
	log_info("api: submission %" PRIi64 " job %" PRIi64 " by '%s' for '%s' (%zu bytes, '%s')",
		 subid, jid, login, aname, len,
		 fname ? log_escape(fname, strlen(fname), esc, sizeof(esc)) : "");
	reply_json(c->req, 201,
		   json_pack("{s:I, s:I, s:s, s:I, s:s}", "submission_id", (json_int_t)subid,
			     "job_id", (json_int_t)jid, "sha256", sha, "size", (json_int_t)len,
			     "student", login));
	if (c->ctx->wake)
		c->ctx->wake(c->ctx->arg);
}

static void
h_batch_add(struct call *c)
{
	json_t *j = body_json(c);
	const char *name;
	int64_t aid, bid;
	int r;

	if (!j)
		return;
	name = json_string_value(json_object_get(j, "assignment"));
	if (!name) {
		json_decref(j);
		return reply_error(c->req, 400, "\"assignment\": expected an assignment name");
	}
	r = find_assignment(c, name, &aid);
	json_decref(j);
	if (r < 0)
		return;
	char by[96];
	r = queue_batch_add(c->ctx->db, aid, actor(c, by, sizeof(by)), &bid);
	if (r < 0)
		return reply_errno(c->req, r, "creating the batch");
	reply_json(c->req, 201, json_pack("{s:I}", "batch_id", (json_int_t)bid));
}

static void
h_batch_get(struct call *c)
{
	struct status_acc acc = {.jobs = json_array()};
	int64_t id;
	int r;

	if (parse_id(c->seg[1], &id) < 0) {
		json_decref(acc.jobs);
		return reply_error(c->req, 404, "no batch '%s'", c->seg[1]);
	}
	r = queue_batch_get(c->ctx->db, id, NULL);
	if (r >= 0)
		r = queue_status_batch(c->ctx->db, id, status_cb, &acc);
	json_decref(acc.first);
	if (r < 0) {
		json_decref(acc.jobs);
		if (r == -ENOENT)
			return reply_error(c->req, 404, "no batch %" PRIi64, id);
		return reply_errno(c->req, r, "batch");
	}
	reply_json(c->req, 200,
		   json_pack("{s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:o}", "batch_id", (json_int_t)id,
			     "total", r, "queued", (json_int_t)acc.counts[0], "running",
			     (json_int_t)acc.counts[1], "done", (json_int_t)acc.counts[2], "failed",
			     (json_int_t)acc.counts[3], "cancelled", (json_int_t)acc.counts[4],
			     "jobs", acc.jobs));
}

/* GET /api/jobs/ID and /api/students/LOGIN/jobs/ID. */
static void
job_status(struct call *c, const char *idstr, const char *login)
{
	struct status_acc acc = {.student_view = c->role != ROLE_STAFF};
	int64_t id;
	int r;

	if (parse_id(idstr, &id) < 0)
		return reply_error(c->req, 404, "no job '%s'", idstr);
	r = queue_status_job(c->ctx->db, id, status_cb, &acc);
	if (r < 0)
		return reply_errno(c->req, r, "job");
	/* Another student's job is "not found", so ids cannot be probed for existence. */
	if (r == 0 || (login && strcmp(acc.student, login) != 0)) {
		json_decref(acc.first);
		return reply_error(c->req, 404, "no job %" PRIi64 "%s%s", id,
				   login ? " for student " : "", login ? login : "");
	}
	reply_json(c->req, 200, acc.first);
}

static void
h_job(struct call *c)
{
	job_status(c, c->seg[1], NULL);
}

static void
h_student_job(struct call *c)
{
	job_status(c, c->seg[3], c->seg[1]);
}

static void
h_submission(struct call *c)
{
	struct status_acc acc = {.jobs = json_array()};
	int64_t id;
	int r;

	if (parse_id(c->seg[1], &id) < 0) {
		json_decref(acc.jobs);
		return reply_error(c->req, 404, "no submission '%s'", c->seg[1]);
	}
	r = queue_status_submission(c->ctx->db, id, status_cb, &acc);
	json_decref(acc.first);
	if (r <= 0) {
		json_decref(acc.jobs);
		if (r == 0)
			return reply_error(c->req, 404, "no submission %" PRIi64, id);
		return reply_errno(c->req, r, "submission");
	}
	reply_json(c->req, 200,
		   json_pack("{s:I, s:o}", "submission_id", (json_int_t)id, "jobs", acc.jobs));
}

static void
h_student_submissions(struct call *c)
{
	struct status_acc acc = {.jobs = json_array(), .student_view = c->role != ROLE_STAFF};
	int64_t sid;
	int r;

	r = db_student_find(c->ctx->db, c->seg[1], &sid);
	if (r < 0) {
		json_decref(acc.jobs);
		if (r == -ENOENT)
			return reply_error(c->req, 404, "no student '%s'", c->seg[1]);
		return reply_errno(c->req, r, "student");
	}
	r = queue_status_student(c->ctx->db, c->seg[1], status_cb, &acc);
	json_decref(acc.first);
	if (r < 0) {
		json_decref(acc.jobs);
		return reply_errno(c->req, r, "student");
	}
	reply_json(c->req, 200, json_pack("{s:s, s:o}", "student", c->seg[1], "jobs", acc.jobs));
}

static int
due_cb(const struct queue_assignment_row *row, void *userdata)
{
	*(int64_t *)userdata = row->due_at;
	return 0;
}

struct results_acc {
	json_t *tests;
	bool student_view;
	bool show_after_due;
	int omitted;
};

static int
results_cb(const struct queue_result_row *row, void *userdata)
{
	struct results_acc *a = userdata;
	json_t *t;

	if (a->student_view && row->visibility &&
	    (strcmp(row->visibility, "hidden") == 0 ||
	     (strcmp(row->visibility, "after_due_date") == 0 && !a->show_after_due))) {
		a->omitted++;
		return 0;
	}
	t = json_object();
	json_object_set_new(t, "name", jstr(row->test_name));
	json_object_set_new(t, "visibility", jstr(row->visibility));
	json_object_set_new(t, "status", jstr(row->status));
	json_object_set_new(t, "verdict", jstr(row->verdict));
	json_object_set_new(t, "score", json_real(row->score));
	json_object_set_new(t, "points", json_real(row->points));
	json_object_set_new(t, "cpu_ms", json_integer(row->cpu_ms));
	json_object_set_new(t, "wall_ms", json_integer(row->wall_ms));
	json_object_set_new(t, "memory_kb", json_integer(row->memory_kb));
	json_object_set_new(t, "exit_code",
			    row->exit_code >= 0 ? json_integer(row->exit_code) : json_null());
	json_object_set_new(t, "signal", row->signal ? json_integer(row->signal) : json_null());
	json_object_set_new(t, "stdout_head",
			    jstr_n(row->out_head ? row->out_head : "", row->out_head_len));
	json_object_set_new(t, "stdout_tail",
			    row->out_tail ? jstr_n(row->out_tail, row->out_tail_len) : json_null());
	json_object_set_new(t, "stdout_bytes", json_integer(row->out_bytes));
	json_object_set_new(t, "stderr_head",
			    jstr_n(row->err_head ? row->err_head : "", row->err_head_len));
	json_object_set_new(t, "stderr_tail",
			    row->err_tail ? jstr_n(row->err_tail, row->err_tail_len) : json_null());
	json_object_set_new(t, "stderr_bytes", json_integer(row->err_bytes));
	json_object_set_new(t, "message", jstr(row->message));
	json_array_append_new(a->tests, t);
	return 0;
}

/* GET /api/jobs/ID/results and /api/students/LOGIN/jobs/ID/results. */
static void
job_results(struct call *c, const char *idstr, const char *login)
{
	struct status_acc acc = {.student_view = c->role != ROLE_STAFF};
	struct results_acc ra = {.tests = json_array(), .student_view = c->role != ROLE_STAFF};
	int64_t id, due = 0;
	int r;

	if (parse_id(idstr, &id) < 0) {
		json_decref(ra.tests);
		return reply_error(c->req, 404, "no job '%s'", idstr);
	}
	r = queue_status_job(c->ctx->db, id, status_cb, &acc);
	if (r <= 0 || (login && strcmp(acc.student, login) != 0)) {
		json_decref(ra.tests);
		json_decref(acc.first);
		if (r < 0)
			return reply_errno(c->req, r, "job");
		return reply_error(c->req, 404, "no job %" PRIi64 "%s%s", id,
				   login ? " for student " : "", login ? login : "");
	}
	/* An assignment without a due date never shows after_due_date tests to students: that
	 * visibility promises "not before the deadline", and there is none to pass. */
	r = queue_assignments(c->ctx->db, NULL, acc.assignment_id, due_cb, &due);
	if (r >= 0) {
		ra.show_after_due = due && db_now_ms(c->ctx->db) >= due;
		r = queue_results(c->ctx->db, id, results_cb, &ra);
	}
	if (r < 0) {
		json_decref(ra.tests);
		json_decref(acc.first);
		return reply_errno(c->req, r, "results");
	}
	json_object_set_new(acc.first, "tests", ra.tests);
	if (ra.student_view)
		json_object_set_new(acc.first, "tests_not_shown", json_integer(ra.omitted));
	reply_json(c->req, 200, acc.first);
}

static void
h_job_results(struct call *c)
{
	job_results(c, c->seg[1], NULL);
}

static void
h_student_job_results(struct call *c)
{
	job_results(c, c->seg[3], c->seg[1]);
}

static void
h_job_cancel(struct call *c)
{
	int64_t id;
	int r;

	if (parse_id(c->seg[1], &id) < 0)
		return reply_error(c->req, 404, "no job '%s'", c->seg[1]);
	char by[96];
	r = queue_cancel(c->ctx->db, id, actor(c, by, sizeof(by)));
	if (r == -ENOENT)
		return reply_error(c->req, 404, "no job %" PRIi64, id);
	if (r == -EALREADY)
		return reply_error(c->req, 409, "job %" PRIi64 " has already finished", id);
	if (r < 0)
		return reply_errno(c->req, r, "cancel");
	log_info("api: cancelled job %" PRIi64, id);
	if (c->ctx->cancelled)
		c->ctx->cancelled(c->ctx->arg, id);
	reply_json(c->req, 200,
		   json_pack("{s:I, s:s}", "job_id", (json_int_t)id, "state", "cancelled"));
}

static void
h_submission_regrade(struct call *c)
{
	int64_t id, jid;
	int prio, r;

	if (parse_id(c->seg[1], &id) < 0)
		return reply_error(c->req, 404, "no submission '%s'", c->seg[1]);
	if (priority_param(c, &prio) < 0)
		return;
	char by[96];
	r = queue_regrade_by(c->ctx->db, id, prio, 0, actor(c, by, sizeof(by)), &jid);
	if (r == -ENOENT)
		return reply_error(c->req, 404, "no submission %" PRIi64, id);
	if (r < 0)
		return reply_errno(c->req, r, "regrade");
	reply_json(c->req, 201,
		   json_pack("{s:I, s:I}", "submission_id", (json_int_t)id, "job_id",
			     (json_int_t)jid));
	if (c->ctx->wake)
		c->ctx->wake(c->ctx->arg);
}

static void
h_assignment_regrade(struct call *c)
{
	int64_t aid, bid = 0;
	size_t n = 0;
	int prio, r;

	if (priority_param(c, &prio) < 0 || find_assignment(c, c->seg[1], &aid) < 0)
		return;
	char by[96];
	r = queue_regrade_assignment(c->ctx->db, aid, prio, actor(c, by, sizeof(by)), &bid, &n);
	if (r < 0)
		return reply_errno(c->req, r, "regrade");
	log_info("api: regrading '%s': %zu jobs in batch %" PRIi64, c->seg[1], n, bid);
	reply_json(c->req, 201,
		   json_pack("{s:I, s:I}", "batch_id", (json_int_t)bid, "jobs", (json_int_t)n));
	if (n && c->ctx->wake)
		c->ctx->wake(c->ctx->arg);
}

/* --- exports ------------------------------------------------------------------------------ */

static int
header_cb(const struct queue_test_row *row, void *userdata)
{
	struct evbuffer *out = userdata;
	_cleanup_free_ char *f = api_csv_field(row->name);

	if (!f)
		return -ENOMEM;
	return evbuffer_add_printf(out, ",%s", f) < 0 ? -ENOMEM : 0;
}

struct csv_acc {
	struct evbuffer *out;
	char student[65]; /* the row being written */
	char verdict[8];
	double total;
};

static int
csv_end_row(struct csv_acc *a)
{
	if (!a->student[0])
		return 0;
	if (evbuffer_add_printf(a->out, ",%.15g,%s\r\n", a->total, a->verdict) < 0)
		return -ENOMEM;
	a->student[0] = 0;
	return 0;
}

static int
csv_cb(const struct queue_export_row *row, void *userdata)
{
	struct csv_acc *a = userdata;
	int r;

	/* Rows come by login then test: a new login ends the previous line. */
	if (strcmp(a->student, row->student) != 0) {
		_cleanup_free_ char *f = api_csv_field(row->student);
		r = csv_end_row(a);
		if (r < 0)
			return r;
		if (!f || evbuffer_add_printf(a->out, "%s", f) < 0)
			return -ENOMEM;
		snprintf(a->student, sizeof(a->student), "%s", row->student);
		snprintf(a->verdict, sizeof(a->verdict), "%s", row->verdict ? row->verdict : "");
		a->total = row->score;
	}
	return evbuffer_add_printf(a->out, ",%.15g", row->test_score) < 0 ? -ENOMEM : 0;
}

static void
h_export_csv(struct call *c)
{
	struct evbuffer *out = NULL;
	struct csv_acc acc = {0};
	int64_t aid;
	int r;

	if (find_assignment(c, c->seg[1], &aid) < 0)
		return;
	out = evbuffer_new();
	if (!out)
		return reply_errno(c->req, -ENOMEM, "export");
	acc.out = out;
	r = evbuffer_add_printf(out, "student") < 0 ? -ENOMEM : 0;
	if (r >= 0)
		r = queue_tests(c->ctx->db, aid, header_cb, out);
	if (r >= 0)
		r = evbuffer_add_printf(out, ",total,verdict\r\n") < 0 ? -ENOMEM : 0;
	if (r >= 0)
		r = queue_export(c->ctx->db, aid, csv_cb, &acc);
	if (r >= 0)
		r = csv_end_row(&acc);
	if (r < 0) {
		evbuffer_free(out);
		return reply_errno(c->req, r, "export");
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	char disp[128];
	/* The name was validated against [A-Za-z0-9._-], so it needs no quoting here. */
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.csv\"", c->seg[1]);
	evhttp_add_header(h, "Content-Type", "text/csv; charset=utf-8");
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(c->req, 200, "OK", out);
	evbuffer_free(out);
}

struct gs_acc {
	const char *student;
	int64_t job_id;
	double score;
	char verdict[8];
	json_t *tests; /* array, in test order */
};

static const char *
gs_visibility(const char *v)
{
	if (v && strcmp(v, "hidden") == 0)
		return "hidden";
	if (v && strcmp(v, "after_due_date") == 0)
		return "after_published";
	return "visible";
}

static int
gs_export_cb(const struct queue_export_row *row, void *userdata)
{
	struct gs_acc *a = userdata;
	char out[128];
	json_t *t;

	if (strcmp(row->student, a->student) != 0)
		return 0;
	a->job_id = row->job_id;
	a->score = row->score;
	snprintf(a->verdict, sizeof(a->verdict), "%s", row->verdict ? row->verdict : "");
	if (row->test_verdict)
		snprintf(out, sizeof(out), "%s", row->test_verdict);
	else
		snprintf(out, sizeof(out), "not run (submission verdict %s)",
			 row->verdict ? row->verdict : "?");
	t = json_object();
	json_object_set_new(t, "name", jstr(row->test_name));
	json_object_set_new(t, "score", json_real(row->test_score));
	json_object_set_new(t, "max_score", json_real(row->points));
	json_object_set_new(t, "status",
			    json_string(row->test_verdict && strcmp(row->test_verdict, "AC") == 0
						? "passed"
						: "failed"));
	json_object_set_new(t, "visibility", json_string(gs_visibility(row->visibility)));
	json_object_set_new(t, "output", json_string(out));
	json_array_append_new(a->tests, t);
	return 0;
}

struct gs_detail {
	json_t *tests;
	double wall_s;
};

/* Adds the checker's message to each test's output and sums the run times. */
static int
gs_results_cb(const struct queue_result_row *row, void *userdata)
{
	struct gs_detail *d = userdata;
	size_t i;
	json_t *t;

	d->wall_s += (double)row->wall_ms / 1000.0;
	json_array_foreach(d->tests, i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "name")), row->test_name) != 0)
			continue;
		if (row->message && *row->message) {
			_cleanup_free_ char *s = NULL;
			if (asprintf(&s, "%s: %s", row->verdict, row->message) < 0)
				return -ENOMEM;
			json_object_set_new(t, "output", jstr(s));
		}
		break;
	}
	return 0;
}

static void
h_gradescope(struct call *c)
{
	const char *login = qparam(c, "student");
	struct gs_acc acc = {.student = login};
	struct gs_detail d = {0};
	int64_t aid;
	int r;

	if (!login || !api_valid_login(login))
		return reply_error(c->req, 400,
				   "parameter 'student' must be a login ([a-z0-9._-])");
	if (find_assignment(c, c->seg[1], &aid) < 0)
		return;
	acc.tests = json_array();
	r = queue_export(c->ctx->db, aid, gs_export_cb, &acc);
	if (r >= 0 && acc.job_id) {
		d.tests = acc.tests;
		r = queue_results(c->ctx->db, acc.job_id, gs_results_cb, &d);
	}
	if (r < 0) {
		json_decref(acc.tests);
		return reply_errno(c->req, r, "export");
	}
	if (!acc.job_id) {
		json_decref(acc.tests);
		return reply_error(c->req, 404, "student '%s' has no graded submission for '%s'",
				   login, c->seg[1]);
	}
	json_t *j = json_pack("{s:f, s:f, s:o}", "score", acc.score, "execution_time", d.wall_s,
			      "tests", acc.tests);
	if (strcmp(acc.verdict, "AC") != 0 && strcmp(acc.verdict, "WA") != 0) {
		char o[64];
		snprintf(o, sizeof(o), "submission verdict: %s", acc.verdict);
		json_object_set_new(j, "output", json_string(o));
	}
	reply_json(c->req, 200, j);
}

/* --- audit trail and evidence ------------------------------------------------------------- */

/* An optional integer parameter >= 0; replies 400 and returns -EINVAL if it is malformed. */
static int
int_param(struct call *c, const char *key, uint64_t max, int64_t *ret)
{
	const char *p = qparam(c, key);
	uint64_t v;

	*ret = 0;
	if (!p)
		return 0;
	if (util_parse_u64(p, &v) < 0 || v > max) {
		reply_error(c->req, 400, "%s: expected an integer in [0, %" PRIu64 "]", key, max);
		return -EINVAL;
	}
	*ret = (int64_t)v;
	return 0;
}

static int
audit_row_cb(const struct db_audit_row *row, void *userdata)
{
	json_t *arr = userdata, *o = json_object(), *d;

	if (!o)
		return -ENOMEM;
	/* The detail was valid JSON when written (CHECK json_valid); if someone edited it into
	 * something jansson refuses, it is still shown, as a string. */
	d = row->detail ? json_loads(row->detail, JSON_DECODE_ANY, NULL) : NULL;
	json_object_set_new(o, "id", json_integer(row->id));
	json_object_set_new(o, "ts", json_integer(row->ts));
	json_object_set_new(o, "kind", jstr(row->kind));
	json_object_set_new(o, "submission_id",
			    row->submission_id ? json_integer(row->submission_id) : json_null());
	json_object_set_new(o, "job_id", row->job_id ? json_integer(row->job_id) : json_null());
	json_object_set_new(o, "student", jstr(row->student));
	json_object_set_new(o, "detail", d ? d : jstr(row->detail));
	json_object_set_new(o, "hash", jstr(row->hash));
	json_object_set_new(o, "prev_hash", jstr(row->prev_hash));
	return json_array_append_new(arr, o) < 0 ? -ENOMEM : 0;
}

static bool
valid_kind(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return false;
	return true;
}

/* GET /api/audit?submission=ID&job=ID&student=LOGIN&kind=K&since=MS&until=MS&limit=N */
static void
h_audit_list(struct call *c)
{
	struct db_audit_filter f = {.student = qparam(c, "student"), .kind = qparam(c, "kind")};
	int64_t limit;
	json_t *arr;
	int r;

	if (int_param(c, "submission", INT64_MAX, &f.submission_id) < 0 ||
	    int_param(c, "job", INT64_MAX, &f.job_id) < 0 ||
	    int_param(c, "since", INT64_MAX, &f.since_ms) < 0 ||
	    int_param(c, "until", INT64_MAX, &f.until_ms) < 0 ||
	    int_param(c, "limit", DB_AUDIT_LIST_MAX, &limit) < 0)
		return;
	if (f.student && !api_valid_login(f.student))
		return reply_error(c->req, 400,
				   "student login must match [a-z0-9][a-z0-9._-]{0,63}");
	if (f.kind && !valid_kind(f.kind))
		return reply_error(c->req, 400, "kind: expected [a-z_]{1,64}");
	f.limit = limit ? (int)limit : 1000;
	arr = json_array();
	if (!arr)
		return reply_errno(c->req, -ENOMEM, "audit");
	r = db_audit_list(c->ctx->db, &f, audit_row_cb, arr);
	if (r < 0) {
		json_decref(arr);
		return reply_errno(c->req, r, "audit");
	}
	reply_json(c->req, 200, json_pack("{s:o}", "rows", arr));
}

/* GET /api/audit/verify: 200 either way; "ok" says whether the chain is intact. */
static void
h_audit_verify(struct call *c)
{
	char why[256] = "";
	int64_t rows = 0, bad = 0;
	int r = db_audit_check(c->ctx->db, &rows, &bad, why, sizeof(why));

	if (r == -EBADMSG) {
		log_warning("api: audit chain broken at row %" PRIi64 ": %s", bad, why);
		return reply_json(c->req, 200,
				  json_pack("{s:b, s:I, s:s}", "ok", 0, "first_bad_id",
					    (json_int_t)bad, "reason", why));
	}
	if (r < 0)
		return reply_errno(c->req, r, "audit verify");
	reply_json(c->req, 200, json_pack("{s:b, s:I}", "ok", 1, "rows", (json_int_t)rows));
}

int
api_valid_evidence_name(const char *s)
{
	/* Exactly what evidence_snapshot() writes: no '/', no '.', nothing to traverse with. */
	if (!s || strlen(s) != 64 + strlen(".tar.gz") || strcmp(s + 64, ".tar.gz") != 0)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* GET /api/evidence/<sha256>.tar.gz: the snapshot of a frozen sandbox. Each download is an
 * audit row: evidence holds what a student's program wrote, possibly other students' data. */
static void
h_evidence(struct call *c)
{
	const char *name = c->seg[1];
	char path[PATH_MAX], by[96];
	_cleanup_close_ int fd = -1;
	struct evbuffer *out;
	struct stat st;
	int r;

	if (!api_valid_evidence_name(name))
		return reply_error(c->req, 404,
				   "no evidence '%s' (names are <64 lowercase hex>.tar.gz)", name);
	if (snprintf(path, sizeof(path), "%s/evidence/%s", c->ctx->data_dir, name) >=
	    (int)sizeof(path))
		return reply_errno(c->req, -ENAMETOOLONG, "evidence");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ELOOP))
		return reply_error(c->req, 404, "no evidence %s", name);
	if (fd < 0)
		return reply_errno(c->req, -errno, "evidence");
	if (fstat(fd, &st) < 0)
		return reply_errno(c->req, -errno, "evidence");
	if (!S_ISREG(st.st_mode))
		return reply_error(c->req, 404, "no evidence %s", name);
	_cleanup_free_ char *detail = NULL;
	json_t *d = json_pack("{s:s, s:I, s:s}", "file", name, "size", (json_int_t)st.st_size, "by",
			      actor(c, by, sizeof(by)));
	detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	if (!detail)
		return reply_errno(c->req, -ENOMEM, "evidence");
	r = db_audit_record(c->ctx->db, "evidence_get", 0, 0, 0, detail);
	if (r < 0)
		return reply_errno(c->req, r, "recording the evidence download");
	out = evbuffer_new();
	if (!out)
		return reply_errno(c->req, -ENOMEM, "evidence");
	/* On success the buffer owns the fd (closed once sent); libevent 2.1 leaves it open when
	 * evbuffer_add_file() fails. */
	int raw = TAKE_FD(fd);
	if (evbuffer_add_file(out, raw, 0, st.st_size) < 0) {
		(void)close(raw);
		evbuffer_free(out);
		return reply_errno(c->req, -EIO, "evidence");
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	char disp[128];
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	evhttp_add_header(h, "Content-Type", "application/gzip");
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_add_header(h, "Cache-Control", "no-store");
	log_info("api: evidence %s (%jd bytes) sent to %s", name, (intmax_t)st.st_size, by);
	evhttp_send_reply(c->req, 200, "OK", out);
	evbuffer_free(out);
}

/* --- routing ------------------------------------------------------------------------------ */

enum auth {
	AUTH_NONE,
	AUTH_STAFF,
	AUTH_STUDENT, /* the staff token, or the student token of the login in segment 1 */
};

struct route {
	enum evhttp_cmd_type method;
	const char *pattern; /* segments after /api/, "*" matches one */
	enum auth auth;
	void (*fn)(struct call *c);
};

static const struct route routes[] = {
	{EVHTTP_REQ_GET, "health", AUTH_NONE, h_health},
	{EVHTTP_REQ_POST, "assignments", AUTH_STAFF, h_assignment_add},
	{EVHTTP_REQ_GET, "assignments", AUTH_STAFF, h_assignment_list},
	{EVHTTP_REQ_GET, "assignments/*/export.csv", AUTH_STAFF, h_export_csv},
	{EVHTTP_REQ_GET, "assignments/*/gradescope", AUTH_STAFF, h_gradescope},
	{EVHTTP_REQ_POST, "assignments/*/regrade", AUTH_STAFF, h_assignment_regrade},
	{EVHTTP_REQ_POST, "submissions", AUTH_STAFF, h_submission_add},
	{EVHTTP_REQ_GET, "submissions/*", AUTH_STAFF, h_submission},
	{EVHTTP_REQ_POST, "submissions/*/regrade", AUTH_STAFF, h_submission_regrade},
	{EVHTTP_REQ_POST, "batches", AUTH_STAFF, h_batch_add},
	{EVHTTP_REQ_GET, "batches/*", AUTH_STAFF, h_batch_get},
	{EVHTTP_REQ_GET, "jobs/*", AUTH_STAFF, h_job},
	{EVHTTP_REQ_GET, "jobs/*/results", AUTH_STAFF, h_job_results},
	{EVHTTP_REQ_POST, "jobs/*/cancel", AUTH_STAFF, h_job_cancel},
	{EVHTTP_REQ_GET, "students/*/submissions", AUTH_STUDENT, h_student_submissions},
	{EVHTTP_REQ_GET, "students/*/jobs/*", AUTH_STUDENT, h_student_job},
	{EVHTTP_REQ_GET, "students/*/jobs/*/results", AUTH_STUDENT, h_student_job_results},
	{EVHTTP_REQ_GET, "audit", AUTH_STAFF, h_audit_list},
	{EVHTTP_REQ_GET, "audit/verify", AUTH_STAFF, h_audit_verify},
	{EVHTTP_REQ_GET, "evidence/*", AUTH_STAFF, h_evidence},
};

static bool
route_matches(const struct route *rt, struct call *c)
{
	char pat[128], *save = NULL, *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "%s", rt->pattern);
	for (p = strtok_r(pat, "/", &save); p; p = strtok_r(NULL, "/", &save), i++) {
		if (i >= c->n_seg)
			return false;
		if (strcmp(p, "*") != 0 && strcmp(p, c->seg[i]) != 0)
			return false;
	}
	return i == c->n_seg;
}

/* Compares without an early exit, so the time taken says nothing about how much matched. */
static bool
token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0 && la > 0;
}

/* Sets c->role; replies 401/403 and returns -EACCES if @auth is not met. */
static int
authorize(struct call *c, enum auth auth)
{
	const char *h =
		evhttp_find_header(evhttp_request_get_input_headers(c->req), "Authorization");
	const char *tok;

	if (auth == AUTH_NONE)
		return 0;
	if (!c->ctx->token || !*c->ctx->token) {
		reply_error(c->req, 503, "the server has no staff token configured");
		return -EACCES;
	}
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		reply_error(c->req, 401, "missing 'Authorization: Bearer TOKEN' header");
		return -EACCES;
	}
	tok = h + 7;
	tok += strspn(tok, " ");
	if (token_equal(tok, c->ctx->token)) {
		c->role = ROLE_STAFF;
		return 0;
	}
	if (auth == AUTH_STUDENT) {
		char st[65];
		if (!api_valid_login(c->seg[1])) {
			reply_error(c->req, 404, "no student '%s'", c->seg[1]);
			return -EACCES;
		}
		api_student_token(c->ctx->token, c->seg[1], st);
		if (token_equal(tok, st)) {
			c->role = ROLE_STUDENT;
			return 0;
		}
		reply_error(c->req, 403, "token is not valid for student '%s'", c->seg[1]);
		return -EACCES;
	}
	reply_error(c->req, 401, "invalid token (this route needs the staff token)");
	return -EACCES;
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	struct call c = {.req = req, .ctx = arg};
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	_cleanup_free_ char *p = NULL;
	char *save = NULL, *s;
	bool path_known = false;

	TAILQ_INIT(&c.query);
	if (!path || strncmp(path, "/api/", 5) != 0)
		return reply_error(req, 404, "no such route (the API lives under /api/)");
	p = strdup(path + 5);
	if (!p)
		return reply_errno(req, -ENOMEM, "request");
	for (s = strtok_r(p, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (c.n_seg >= MAX_SEGS)
			return reply_error(req, 404, "no such route");
		c.seg[c.n_seg++] = s;
	}
	if (query && evhttp_parse_query_str(query, &c.query) < 0)
		return reply_error(req, 400, "malformed query string");

	for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
		if (!route_matches(&routes[i], &c))
			continue;
		path_known = true;
		if (routes[i].method != evhttp_request_get_command(req))
			continue;
		if (authorize(&c, routes[i].auth) == 0)
			routes[i].fn(&c);
		evhttp_clear_headers(&c.query);
		return;
	}
	evhttp_clear_headers(&c.query);
	if (path_known) {
		char allow[32] = "";
		for (size_t i = 0; i < ELEMENTSOF(routes); i++)
			if (route_matches(&routes[i], &c))
				snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
					 "%s%s", allow[0] ? ", " : "",
					 routes[i].method == EVHTTP_REQ_GET ? "GET" : "POST");
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
		return reply_error(req, 405, "method %s not allowed here (allowed: %s)",
				   method_name(req), allow);
	}
	reply_error(req, 404, "no such route");
}

int
api_register(struct evhttp *http, struct api_context *ctx)
{
	if (!http || !ctx || !ctx->db || !ctx->data_dir)
		return -EINVAL;
	/* evhttp enforces the cap while reading, so an oversized body is never buffered whole.
	 * Its own 413 reply is not JSON (libevent 2.1 has no error-body hook); the handlers'
	 * check below it only catches what evhttp let through. Lingering close lets the client
	 * read that 413 instead of a reset. */
	if (ctx->max_body) {
		evhttp_set_max_body_size(http, (ev_ssize_t)ctx->max_body);
		(void)evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	}
	/* All methods reach dispatch(), which answers 405 with a reason; evhttp's own check would
	 * answer 405 with an HTML body. */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						 EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(http, dispatch, ctx);
	return 0;
}
