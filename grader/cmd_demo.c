/* SPDX-License-Identifier: MIT */
/* `gradebox demo escapes`: grades the escape-attempt corpus (submissions/escapes) and the
 * hostile archives (submissions/hostile-tarballs) on a server, then prints, per attempt, what
 * it tried, its verdict, whether it was blocked, which layer stopped it and the audit row that
 * records it. A client of the HTTP API like the other subcommands: it starts a private server
 * only when none answers. Exit 0 only if every attempt was blocked. */
#include "cli.h"
#include "client.h"

#include "api.h"
#include "log.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <event2/http.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

/* An attempt's packed tree is small source; anything bigger is a mistake in the corpus. */
#define PACK_MAX_BYTES (8ULL << 20)
#define PACK_MAX_DEPTH 8
/* Used when attempts.tsv has no row for an attempt: the test expects "BLOCKED" (AC), a
 * kill by seccomp or a limit is containment too; WA means it printed something else
 * ("ESCAPED ..."), and CE/IE/RJ say nothing about the sandbox. */
#define DEFAULT_ACCEPT "AC|SV|TLE|MLE|OLE|RE|SG"

struct item {
	char name[96];	   /* attempt directory or archive file name */
	char student[65];  /* login it is submitted as */
	char category[32]; /* from attempts.tsv ("hostile-archive" for the archives) */
	char what[256];	   /* what it tries */
	char accept[128];  /* acceptable verdicts, '|'-separated */
	char layer[96];	   /* layer expected to stop it */
	char syscall[48];  /* expected denied call for SV, "" if none */
	bool hostile;
	bool from_tsv;
	int64_t batch, submission, job;
	char verdict[8];
	char got_layer[160];
	int64_t audit_id;
	bool blocked;
	char err[256]; /* why it could not be submitted or graded */
};

struct demo {
	struct client *cl; /* owned */
	char escapes[PATH_MAX];
	char hostile_script[PATH_MAX];
	char sum_assignment[PATH_MAX];
	char tmp[PATH_MAX]; /* owned temp dir ("" if none): private data dir, hostile archives */
	pid_t server;	    /* private server, 0 if none */
	bool keep;
	struct item *items; /* owned */
	size_t n_items;
};

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* --- corpus ------------------------------------------------------------------------------- */

/* A valid login from @name ([a-z0-9][a-z0-9._-]{0,63}): lowercased, other bytes become '-',
 * a leading non-alphanumeric gets an 'x' in front. */
static void
to_login(const char *name, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = name; *p && n + 1 < size && n < 64; p++) {
		char ch = *p;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr("._-", ch)))
			ch = '-';
		if (n == 0 && !((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
			buf[n++] = 'x';
			if (n + 1 >= size || n >= 64)
				break;
		}
		buf[n++] = ch;
	}
	buf[n] = 0;
	if (n == 0)
		snprintf(buf, size, "x");
}

static struct item *
add_item(struct demo *d)
{
	struct item *v = reallocarray(d->items, d->n_items + 1, sizeof(*v));

	if (!v)
		return NULL;
	d->items = v;
	v = &d->items[d->n_items++];
	*v = (struct item){0};
	return v;
}

/* Splits @line at tabs into at most @max fields (in place). Returns the count. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = 0;
	while (n < max) {
		f[n++] = line;
		char *t = strchr(line, '\t');
		if (!t)
			break;
		*t = 0;
		line = t + 1;
	}
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* One item per attempts/NAME directory, in the order of attempts.tsv (name, category, what,
 * acceptable verdicts, layer, syscall): the corpus relies on it (persist-write is graded long
 * before persist-check, xsb-plant next to xsb-find). Directories without a row come last,
 * sorted, with the defaults. */
static int
load_attempts(struct demo *d)
{
	char dir[PATH_MAX + 16], tsv[PATH_MAX + 16], line[2048];
	_cleanup_(closedirp_) DIR *dd = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct dirent *de;
	char **names = NULL;
	bool *used = NULL;
	size_t n_names = 0;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/attempts", d->escapes);
	dd = opendir(dir);
	if (!dd) {
		fprintf(stderr, "gradebox: demo: cannot read %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dd))) {
		struct stat st;
		char p[PATH_MAX * 2];
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(d->items->name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		char **v = reallocarray(names, n_names + 1, sizeof(*names));
		if (!v) {
			strv_free(names, n_names);
			return -ENOMEM;
		}
		names = v;
		if (!(names[n_names] = strdup(de->d_name))) {
			strv_free(names, n_names);
			return -ENOMEM;
		}
		n_names++;
	}
	qsort(names, n_names, sizeof(*names), cmp_str);
	used = calloc(n_names ? n_names : 1, sizeof(*used));
	if (!used) {
		strv_free(names, n_names);
		return -ENOMEM;
	}

	snprintf(tsv, sizeof(tsv), "%s/attempts.tsv", d->escapes);
	f = fopen(tsv, "re");
	if (!f)
		fprintf(stderr,
			"gradebox: demo: no %s (%s): using the defaults (acceptable verdicts %s)\n",
			tsv, strerror(errno), DEFAULT_ACCEPT);
	while (f && fgets(line, sizeof(line), f)) {
		char *fld[6] = {0};
		size_t n, k;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = split_tabs(line, fld, 6);
		if (n < 4 || strcmp(fld[0], "name") == 0)
			continue;
		for (k = 0; k < n_names && strcmp(names[k], fld[0]) != 0; k++)
			;
		if (k == n_names || used[k]) {
			fprintf(stderr,
				"gradebox: demo: attempts.tsv names '%s', which has no directory "
				"(or is listed twice); ignoring it\n",
				fld[0]);
			continue;
		}
		used[k] = true;
		struct item *it = add_item(d);
		if (!it) {
			r = -ENOMEM;
			goto out;
		}
		it->from_tsv = true;
		snprintf(it->name, sizeof(it->name), "%s", names[k]);
		to_login(it->name, it->student, sizeof(it->student));
		snprintf(it->category, sizeof(it->category), "%s", fld[1]);
		snprintf(it->what, sizeof(it->what), "%s", fld[2]);
		snprintf(it->accept, sizeof(it->accept), "%s", fld[3]);
		snprintf(it->layer, sizeof(it->layer), "%s", n > 4 && fld[4][0] ? fld[4] : "?");
		if (n > 5 && strcmp(fld[5], "-") != 0)
			snprintf(it->syscall, sizeof(it->syscall), "%s", fld[5]);
	}
	for (size_t k = 0; k < n_names; k++) {
		if (used[k])
			continue;
		fprintf(stderr, "gradebox: demo: attempt '%s' has no attempts.tsv row\n", names[k]);
		struct item *it = add_item(d);
		if (!it) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(it->name, sizeof(it->name), "%s", names[k]);
		to_login(it->name, it->student, sizeof(it->student));
		snprintf(it->category, sizeof(it->category), "%.*s", (int)strcspn(names[k], "-"),
			 names[k]);
		snprintf(it->accept, sizeof(it->accept), "%s", DEFAULT_ACCEPT);
		snprintf(it->layer, sizeof(it->layer), "?");
	}
out:
	strv_free(names, n_names);
	free(used);
	return r;
}

/* Runs make-hostile.sh into @outdir, then adds one item per row of its expected.tsv. */
static int
load_hostile(struct demo *d, const char *outdir)
{
	char tsv[PATH_MAX + 16], line[2048];
	_cleanup_fclose_ FILE *f = NULL;
	int status;
	pid_t pid;

	fprintf(stderr, "gradebox: demo: writing the hostile archives (%s)\n", d->hostile_script);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			(void)dup2(null, STDOUT_FILENO);
		execlp("bash", "bash", d->hostile_script, outdir, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "gradebox: demo: %s failed (status %d)\n", d->hostile_script,
			status);
		return -EIO;
	}
	snprintf(tsv, sizeof(tsv), "%.*s/expected.tsv",
		 (int)(strrchr(d->hostile_script, '/') - d->hostile_script), d->hostile_script);
	f = fopen(tsv, "re");
	if (!f) {
		fprintf(stderr, "gradebox: demo: cannot read %s: %s\n", tsv, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fld[4] = {0};
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (split_tabs(line, fld, 4) < 3)
			continue;
		struct item *it = add_item(d);
		if (!it)
			return -ENOMEM;
		it->hostile = true;
		it->from_tsv = true;
		snprintf(it->name, sizeof(it->name), "%s", fld[0]);
		to_login(fld[0], it->student, sizeof(it->student));
		snprintf(it->category, sizeof(it->category), "archive");
		if (strncmp(fld[1], "reject: ", 8) == 0)
			snprintf(it->what, sizeof(it->what), "intake must refuse it (%s)",
				 fld[1] + 8);
		else
			snprintf(it->what, sizeof(it->what),
				 "intake must accept it (no setuid/setgid/sticky bit survives)");
		snprintf(it->accept, sizeof(it->accept), "%s", fld[2]);
		snprintf(it->layer, sizeof(it->layer), "intake (sandboxed unpack)");
	}
	return 0;
}

/* --- packing ------------------------------------------------------------------------------ */

struct membuf {
	char *p; /* owned */
	size_t len, cap;
};

static la_ssize_t
mem_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct membuf *m = arg;
	(void)a;

	if (m->len + len > PACK_MAX_BYTES)
		return -1;
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 16384;
		while (cap < m->len + len)
			cap *= 2;
		char *p = realloc(m->p, cap);
		if (!p)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return (la_ssize_t)len;
}

/* Adds the regular files and directories under @dirfd as @prefix/...; symlinks and special
 * files are skipped (an attempt is source code). */
static int
pack_dir(struct archive *a, int dirfd, const char *prefix, int depth)
{
	_cleanup_(closedirp_) DIR *dd = NULL;
	struct dirent *de;
	int fd;

	if (depth > PACK_MAX_DEPTH)
		return -ELOOP;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dd = fdopendir(fd);
	if (!dd) {
		int r = -errno;
		(void)close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(dd))) {
		char rel[PATH_MAX];
		struct stat st;
		int r = 0;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", de->d_name);
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		struct archive_entry *e = archive_entry_new();
		if (!e)
			return -ENOMEM;
		archive_entry_set_pathname(e, rel);
		archive_entry_set_filetype(e, S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(e, st.st_mode & 0777);
		archive_entry_set_size(e, S_ISREG(st.st_mode) ? st.st_size : 0);
		archive_entry_set_mtime(e, st.st_mtime, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			r = -EIO;
		archive_entry_free(e);
		if (r < 0)
			return r;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(
				dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				return -errno;
			r = pack_dir(a, sub, rel, depth + 1);
		} else {
			_cleanup_close_ int in =
				openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			char buf[16384];
			ssize_t n;
			if (in < 0)
				return -errno;
			while ((n = util_read_full(in, buf, sizeof(buf))) > 0)
				if (archive_write_data(a, buf, (size_t)n) != n)
					return -EIO;
			r = n < 0 ? (int)n : 0;
		}
		if (r < 0)
			return r;
	}
	return errno ? -errno : 0;
}

/* Packs directory @path into a tar.gz in memory: *ret (malloc'd) and *ret_len. */
static int
pack_attempt(const char *path, char **ret, size_t *ret_len)
{
	struct membuf m = {0};
	_cleanup_close_ int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct archive *a;
	int r;

	if (dirfd < 0)
		return -errno;
	a = archive_write_new();
	if (!a)
		return -ENOMEM;
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &m, NULL, mem_write, NULL) != ARCHIVE_OK) {
		archive_write_free(a);
		free(m.p);
		return -EIO;
	}
	r = pack_dir(a, dirfd, "", 0);
	if (archive_write_close(a) != ARCHIVE_OK && r >= 0)
		r = -EIO;
	archive_write_free(a);
	if (r < 0) {
		free(m.p);
		return r;
	}
	*ret = m.p;
	*ret_len = m.len;
	return 0;
}

/* --- server ------------------------------------------------------------------------------- */

static int
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	return ntohs(sa.sin_port);
}

static bool
healthy(struct client *cl)
{
	char err[256];
	int code = 0;
	json_t *j = client_json(cl, false, "/api/health", NULL, &code, err, sizeof(err));
	bool ok = j && json_is_true(json_object_get(j, "ok"));

	json_decref(j);
	return ok;
}

/* Starts `gradebox serve` on a free loopback port with its data in d->tmp/data and connects
 * d->cl to it. The server gets SIGTERM if we die (PDEATHSIG), and stop_server() otherwise. */
static int
start_server(struct demo *d)
{
	char data[PATH_MAX + 16], log_path[PATH_MAX + 32], port[16], url[64], tok[PATH_MAX + 32];
	int p = free_port();

	if (p < 0)
		return p;
	snprintf(data, sizeof(data), "%s/data", d->tmp);
	snprintf(log_path, sizeof(log_path), "%s/server.log", d->tmp);
	snprintf(tok, sizeof(tok), "%s/token", data);
	snprintf(port, sizeof(port), "%d", p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", p);
	fprintf(stderr, "gradebox: demo: starting a private server on %s (data in %s)\n", url,
		data);
	d->server = fork();
	if (d->server < 0)
		return -errno;
	if (d->server == 0) {
		int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* Our ^C is ours to handle: we stop the server ourselves, after it drained. */
		(void)setsid();
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (out < 0 || in < 0 || dup2(in, STDIN_FILENO) < 0 ||
		    dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
			_exit(127);
		/* Two slots, as the corpus expects (attempts.tsv): xsb-plant and xsb-find run
		 * side by side, and persist-check long after persist-write. */
		execl("/proc/self/exe", "gradebox", "serve", "--data-dir", data, "--port", port,
		      "--slots", "2", (char *)NULL);
		_exit(127);
	}
	/* A token from the environment belongs to some other server. */
	(void)unsetenv("GRADEBOX_TOKEN");
	for (int i = 0; i < 200 && !interrupted; i++) {
		int status;
		if (waitpid(d->server, &status, WNOHANG) == d->server) {
			d->server = 0;
			fprintf(stderr, "gradebox: demo: the server exited at start; see %s\n",
				log_path);
			return -EIO;
		}
		if (access(tok, R_OK) == 0) {
			if (!d->cl && client_open(url, data, 30, &d->cl) < 0)
				return -EIO;
			if (d->cl && healthy(d->cl))
				return 0;
		}
		(void)usleep(100 * 1000);
	}
	fprintf(stderr, "gradebox: demo: the server did not answer; see %s\n", log_path);
	return -ETIMEDOUT;
}

static void
stop_server(struct demo *d)
{
	int status;

	if (d->server <= 0)
		return;
	(void)kill(d->server, SIGTERM);
	for (int i = 0; i < 300; i++) {
		if (waitpid(d->server, &status, WNOHANG) == d->server) {
			d->server = 0;
			return;
		}
		(void)usleep(100 * 1000);
	}
	(void)kill(d->server, SIGKILL);
	(void)waitpid(d->server, &status, 0);
	d->server = 0;
}

/* --- requests ----------------------------------------------------------------------------- */

/* POSTs @obj (taken) as JSON; returns the reply or NULL after printing why. */
static json_t *
post_json(struct demo *d, const char *path, json_t *obj, const char *what)
{
	_cleanup_free_ char *body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	char err[512] = "";
	int code;
	json_t *j;

	json_decref(obj);
	if (!body)
		return NULL;
	j = client_json(d->cl, true, path, body, &code, err, sizeof(err));
	if (!j)
		fprintf(stderr, "gradebox: demo: %s: %s\n", what, err);
	return j;
}

static json_t *
get_json(struct demo *d, const char *path)
{
	char err[512] = "";
	int code;

	return client_json(d->cl, false, path, NULL, &code, err, sizeof(err));
}

/* Adds assignment @dir; returns its name in @name. */
static int
add_assignment(struct demo *d, const char *dir, char *name, size_t size)
{
	char abs[PATH_MAX];
	json_t *j;

	if (!realpath(dir, abs))
		return -errno;
	j = post_json(d, "/api/assignments", json_pack("{s:s}", "path", abs), "assignment add");
	if (!j)
		return -EIO;
	snprintf(name, size, "%s", json_string_value(json_object_get(j, "name")) ?: "");
	fprintf(stderr, "gradebox: demo: added assignment %s version %" JSON_INTEGER_FORMAT "\n",
		name, json_integer_value(json_object_get(j, "version")));
	json_decref(j);
	return 0;
}

static int64_t
new_batch(struct demo *d, const char *assignment)
{
	json_t *j =
		post_json(d, "/api/batches", json_pack("{s:s}", "assignment", assignment), "batch");
	int64_t id = j ? json_integer_value(json_object_get(j, "batch_id")) : 0;

	json_decref(j);
	return id;
}

static void
submit(struct demo *d, struct item *it, const char *assignment, int64_t batch, const void *data,
       size_t len)
{
	char path[512], fname[128];
	_cleanup_free_ char *body = NULL, *ea = NULL, *es = NULL, *ef = NULL;
	int code = 0;

	snprintf(fname, sizeof(fname), "%s%s", it->name, it->hostile ? "" : ".tar.gz");
	ea = evhttp_encode_uri(assignment);
	es = evhttp_encode_uri(it->student);
	ef = evhttp_encode_uri(fname);
	if (!ea || !es || !ef) {
		snprintf(it->err, sizeof(it->err), "out of memory");
		return;
	}
	snprintf(path, sizeof(path),
		 "/api/submissions?assignment=%s&student=%s&filename=%s&batch=%" PRIi64, ea, es, ef,
		 batch);
	if (client_request(d->cl, true, path, "application/octet-stream", data, len, &code, &body,
			   NULL, it->err, sizeof(it->err)) < 0)
		return;
	if (code != 201) {
		/* The server refused the upload itself (not an archive, empty): that is intake
		 * blocking it too, before anything was stored. Other refusals are our errors. */
		if (code == 415 || (code == 400 && strstr(it->err, "empty submission"))) {
			snprintf(it->verdict, sizeof(it->verdict), "RJ");
			snprintf(it->got_layer, sizeof(it->got_layer), "API upload check (HTTP %d)",
				 code);
		}
		return;
	}
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	it->batch = batch;
	it->submission = json_integer_value(json_object_get(j, "submission_id"));
	it->job = json_integer_value(json_object_get(j, "job_id"));
	it->err[0] = 0;
	json_decref(j);
}

static int
read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > (256ULL << 20))
		return -EINVAL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = util_read_full(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return (int)n;
	*ret = TAKE_PTR(buf);
	*ret_len = (size_t)n;
	return 0;
}

/* Polls the batches until every job finished. Returns 0, or -EINTR / -EIO. */
static int
wait_batches(struct demo *d, const int64_t *batches, size_t n)
{
	size_t last = SIZE_MAX;

	for (;;) {
		size_t total = 0, graded = 0;
		for (size_t i = 0; i < n; i++) {
			char path[64];
			if (!batches[i])
				continue;
			snprintf(path, sizeof(path), "/api/batches/%" PRIi64, batches[i]);
			json_t *j = get_json(d, path);
			if (!j) {
				fprintf(stderr, "gradebox: demo: lost the server\n");
				return -EIO;
			}
			total += (size_t)json_integer_value(json_object_get(j, "total"));
			graded += (size_t)(json_integer_value(json_object_get(j, "done")) +
					   json_integer_value(json_object_get(j, "failed")) +
					   json_integer_value(json_object_get(j, "cancelled")));
			json_decref(j);
		}
		if (graded != last) {
			fprintf(stderr, "gradebox: demo: %zu/%zu graded\n", graded, total);
			last = graded;
		}
		if (graded >= total)
			return 0;
		if (interrupted)
			return -EINTR;
		(void)sleep(1);
	}
}

static bool
in_set(const char *verdict, const char *set)
{
	size_t n = strlen(verdict);

	for (const char *p = set; *p;) {
		size_t l = strcspn(p, "|");
		if (n && l == n && strncmp(p, verdict, n) == 0)
			return true;
		p += l + (p[l] == '|');
	}
	return false;
}

/* The audit rows that say why a submission was stopped, most telling first, and the layer
 * each one names. */
static const char *const stop_kinds[] = {"violation", "archive_rejected", "oom_kill",
					 "time_kill", "output_kill",	  "pids_limit"};
static const char *const stop_layers[] = {
	"seccomp",	"intake (sandboxed unpack)", "cgroup memory limit", "CPU/wall time limit",
	"output limit", "cgroup pids limit"};

static void
collect(struct demo *d, struct item *it)
{
	char path[128];
	json_t *j, *row, *t;
	size_t i;
	int best = (int)ELEMENTSOF(stop_kinds);

	if (!it->job)
		goto decide;
	snprintf(path, sizeof(path), "/api/jobs/%" PRIi64 "/results", it->job);
	j = get_json(d, path);
	if (!j) {
		snprintf(it->err, sizeof(it->err), "no results for job %" PRIi64, it->job);
		goto decide;
	}
	if (json_is_string(json_object_get(j, "verdict")))
		snprintf(it->verdict, sizeof(it->verdict), "%s",
			 json_string_value(json_object_get(j, "verdict")));
	else
		snprintf(it->verdict, sizeof(it->verdict), "%s",
			 json_string_value(json_object_get(j, "state")) ?: "?");
	json_array_foreach(json_object_get(j, "tests"), i, t)
	{
		const char *st = json_string_value(json_object_get(t, "status"));
		if (st && strcmp(st, "SV") == 0 && !it->got_layer[0])
			snprintf(it->got_layer, sizeof(it->got_layer), "seccomp");
	}
	json_decref(j);

	snprintf(path, sizeof(path), "/api/audit?submission=%" PRIi64 "&limit=200", it->submission);
	j = get_json(d, path);
	json_array_foreach(json_object_get(j, "rows"), i, row)
	{
		const char *kind = json_string_value(json_object_get(row, "kind"));
		json_t *det = json_object_get(row, "detail");
		for (int k = 0; k < best && kind; k++) {
			if (strcmp(kind, stop_kinds[k]) != 0)
				continue;
			best = k;
			it->audit_id = json_integer_value(json_object_get(row, "id"));
			snprintf(it->got_layer, sizeof(it->got_layer), "%s", stop_layers[k]);
			if (k == 0) {
				const char *sc = json_string_value(json_object_get(det, "syscall"));
				snprintf(it->got_layer, sizeof(it->got_layer), "seccomp: %s%s%s%s",
					 sc ? sc : "?", it->syscall[0] ? " (expected " : "",
					 it->syscall, it->syscall[0] ? ")" : "");
				if (it->syscall[0] && sc && strcmp(sc, it->syscall) == 0)
					snprintf(it->got_layer, sizeof(it->got_layer),
						 "seccomp: %s", sc);
			}
			break;
		}
	}
	json_decref(j);
decide:
	it->blocked = it->verdict[0] && in_set(it->verdict, it->accept);
	if (!it->got_layer[0] || strcmp(it->got_layer, "seccomp") == 0) {
		if (it->got_layer[0] && it->syscall[0])
			snprintf(it->got_layer, sizeof(it->got_layer), "seccomp (expected %s)",
				 it->syscall);
		else if (!it->got_layer[0])
			snprintf(it->got_layer, sizeof(it->got_layer), "%s", it->layer);
	}
}

/* --- output ------------------------------------------------------------------------------- */

/* Like the CLI's tables: control bytes never reach the terminal. */
static void
put_clean(const char *s, int width)
{
	int n = 0;

	for (; s && *s && (width <= 0 || n < width); s++, n++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	for (; n < width; n++)
		putchar(' ');
}

static void
print_report(struct demo *d, size_t *ret_blocked)
{
	size_t blocked = 0;

	printf("%-28s %-13s %-7s %-7s %-36s %-7s %s\n", "ATTEMPT", "CATEGORY", "VERDICT", "BLOCKED",
	       "LAYER", "AUDIT", "TRIED");
	for (size_t i = 0; i < d->n_items; i++) {
		struct item *it = &d->items[i];
		char audit[24] = "-";
		if (it->audit_id)
			snprintf(audit, sizeof(audit), "#%" PRIi64, it->audit_id);
		put_clean(it->name, 28);
		putchar(' ');
		put_clean(it->category, 13);
		putchar(' ');
		put_clean(it->verdict[0] ? it->verdict : "-", 7);
		printf(" %-7s ", it->blocked ? "yes" : "NO");
		put_clean(it->got_layer, 36);
		printf(" %-7s ", audit);
		put_clean(it->what[0] ? it->what : "(no attempts.tsv row)", 0);
		if (it->err[0]) {
			printf("  [");
			put_clean(it->err, 0);
			putchar(']');
		}
		if (!it->blocked) {
			printf("  [acceptable: ");
			put_clean(it->accept, 0);
			putchar(']');
		}
		putchar('\n');
		blocked += it->blocked;
	}
	*ret_blocked = blocked;
}

/* --- command ------------------------------------------------------------------------------ */

static void
demo_usage(FILE *f)
{
	fputs("usage: gradebox demo escapes [--server URL] [--data-dir DIR] [--escapes DIR]\n"
	      "                             [--no-hostile] [--keep]\n"
	      "\n"
	      "Grades every attempt of submissions/escapes (and the hostile archives of\n"
	      "submissions/hostile-tarballs) and prints, per attempt, the verdict, whether it\n"
	      "was blocked, the layer that stopped it and its audit row. Uses the server at\n"
	      "--server / $GRADEBOX_SERVER if it answers, else starts a private one.\n"
	      "Exit 0 if every attempt was blocked, 1 if any was not, 2 on errors.\n",
	      f);
}

/* DIR next to the binary (a build tree: build/../submissions/...), else relative to the
 * working directory. */
static void
corpus_path(const char *rel, char *buf, size_t size)
{
	char self[PATH_MAX];

	if (util_self_dir(self, sizeof(self)) == 0) {
		snprintf(buf, size, "%.3000s/../%s", self, rel);
		if (access(buf, R_OK) == 0)
			return;
	}
	snprintf(buf, size, "%s", rel);
}

static int
run_demo(struct demo *d, bool hostile)
{
	char asg[PATH_MAX + 16], name[80] = "", sum_name[80] = "";
	int64_t batches[2] = {0, 0};
	size_t blocked = 0;
	int r;

	r = load_attempts(d);
	if (r < 0)
		return 2;
	if (hostile && access(d->hostile_script, R_OK) == 0 &&
	    access(d->sum_assignment, R_OK) == 0) {
		char out[PATH_MAX + 16];
		snprintf(out, sizeof(out), "%s/hostile", d->tmp);
		if (load_hostile(d, out) < 0)
			fprintf(stderr,
				"gradebox: demo: continuing without the hostile archives\n");
	} else if (hostile)
		fprintf(stderr, "gradebox: demo: no %s or %s: no hostile archives\n",
			d->hostile_script, d->sum_assignment);
	if (d->n_items == 0) {
		fprintf(stderr, "gradebox: demo: nothing to grade in %s\n", d->escapes);
		return 2;
	}

	snprintf(asg, sizeof(asg), "%s/assignment", d->escapes);
	if (add_assignment(d, asg, name, sizeof(name)) < 0)
		return 2;
	batches[0] = new_batch(d, name);
	if (!batches[0])
		return 2;
	for (size_t i = 0; i < d->n_items && !interrupted; i++) {
		struct item *it = &d->items[i];
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		char p[PATH_MAX * 2];
		if (it->hostile) {
			if (!batches[1]) {
				if (add_assignment(d, d->sum_assignment, sum_name,
						   sizeof(sum_name)) < 0)
					return 2;
				batches[1] = new_batch(d, sum_name);
				if (!batches[1])
					return 2;
			}
			snprintf(p, sizeof(p), "%s/hostile/%s", d->tmp, it->name);
			r = read_file(p, &data, &len);
		} else {
			snprintf(p, sizeof(p), "%s/attempts/%s", d->escapes, it->name);
			r = pack_attempt(p, &data, &len);
		}
		if (r < 0) {
			snprintf(it->err, sizeof(it->err), "cannot %s %.150s: %s",
				 it->hostile ? "read" : "pack", p, strerror(-r));
			continue;
		}
		submit(d, it, it->hostile ? sum_name : name, it->hostile ? batches[1] : batches[0],
		       data, len);
	}
	fprintf(stderr, "gradebox: demo: submitted %zu items (batch %" PRIi64 " for %s%s%s)\n",
		d->n_items, batches[0], name, batches[1] ? ", hostile archives against " : "",
		batches[1] ? sum_name : "");
	r = wait_batches(d, batches, 2);
	if (r < 0)
		return 2;
	for (size_t i = 0; i < d->n_items; i++)
		collect(d, &d->items[i]);
	print_report(d, &blocked);
	printf("%zu attempts, %zu blocked, %zu escaped\n", d->n_items, blocked,
	       d->n_items - blocked);
	return blocked == d->n_items ? 0 : 1;
}

int
cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"data-dir", required_argument, NULL, 'd'},
		{"escapes", required_argument, NULL, 'e'},
		{"no-hostile", no_argument, NULL, 'n'},
		{"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct demo d = {0};
	const char *server = getenv("GRADEBOX_SERVER"), *data_dir = getenv("GRADEBOX_DATA");
	bool hostile = true;
	int o, rc = 2;

	corpus_path("submissions/escapes", d.escapes, sizeof(d.escapes));
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			server = optarg;
			break;
		case 'd':
			data_dir = optarg;
			break;
		case 'e':
			snprintf(d.escapes, sizeof(d.escapes), "%s", optarg);
			break;
		case 'n':
			hostile = false;
			break;
		case 'k':
			d.keep = true;
			break;
		case 'h':
			demo_usage(stdout);
			return 0;
		default:
			demo_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "escapes") != 0) {
		demo_usage(stderr);
		return 2;
	}
	snprintf(d.hostile_script, sizeof(d.hostile_script),
		 "%.2000s/../hostile-tarballs/make-hostile.sh", d.escapes);
	snprintf(d.sum_assignment, sizeof(d.sum_assignment), "%.2000s/../sum/assignment",
		 d.escapes);

	/* The demo's own scratch: hostile archives, and a private server's data. Not under
	 * /tmp/gradebox*: the leak checks look for mounts naming gradebox. */
	snprintf(d.tmp, sizeof(d.tmp), "/tmp/gbdemo.XXXXXX");
	if (!mkdtemp(d.tmp)) {
		fprintf(stderr, "gradebox: demo: cannot create a temp dir: %s\n", strerror(errno));
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_interrupt};
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);

	if (server && *server) {
		if (client_open(server, data_dir, 30, &d.cl) == 0 && healthy(d.cl)) {
			json_t *h = get_json(&d, "/api/health");
			json_int_t slots = json_integer_value(json_object_get(h, "slots"));
			json_decref(h);
			fprintf(stderr, "gradebox: demo: using the server at %s\n", server);
			if (slots > 2)
				fprintf(stderr,
					"gradebox: demo: it grades %" JSON_INTEGER_FORMAT
					" jobs at a time; attempts.tsv orders the corpus for 2 "
					"(persist-check may run before persist-write ends)\n",
					slots);
		} else {
			fprintf(stderr, "gradebox: demo: cannot use %s (no answer or no token)\n",
				server);
			d.cl = client_free(d.cl);
		}
	}
	if (!d.cl && start_server(&d) < 0)
		goto out;
	rc = run_demo(&d, hostile);
out:
	d.cl = client_free(d.cl);
	stop_server(&d);
	if (d.keep)
		fprintf(stderr, "gradebox: demo: kept %s (server log, data, evidence)\n", d.tmp);
	else
		(void)util_rm_rf(d.tmp);
	free(d.items);
	if (interrupted && rc != 1)
		rc = 2;
	return rc;
}
