/* SPDX-License-Identifier: MIT */
/* `gradebox pool`: warm sandboxes for `gradebox run` (see pool.h).
 *
 *   master    binds the socket (root only: 0700 directory, 0600 socket, SO_PEERCRED checked),
 *             forks N workers, restarts one that dies, stops them all on SIGTERM/SIGINT
 *   worker    holds one slot for its lifetime; loop: build a box, accept() one client, run its
 *             request in the box, reply, destroy the box. accept() hands each connection to
 *             exactly one idle worker, so the socket's backlog is the queue.
 *
 * A client (grader/pool_client.c; the wire in pool_wire.h) sends one message: a header and
 * its fds (the request memfd from run_request_pack(), then stdin, stdout, stderr and the
 * --result file as the flags say). The worker answers with one message: the result, or an
 * error (-EXDEV: run it cold, this pool's boxes have another shape); with a result file, it
 * has written the JSON there first. A client that goes away cancels its run (the connection
 * is the run's cancel_fd). */
#include "pool.h"
#include "pool_wire.h"
#include "run_json.h"

#include "cli.h"
#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64

/* ---- worker ---- */

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* The request path's large buffers, in a mapping that box inits do not inherit
 * (MADV_DONTFORK). Each box's init is a clone of this worker: after every clone, every page
 * the worker writes traps once more (copy-on-write, 25 us each on this kind of guest). The
 * message and reply buffers from the heap, the result on the stack and the shape text
 * rewritten per request were three of those per run on the client's critical path (perf
 * record of page faults: 6.0 -> 3.0 in the worker). Pages a clone never shares are never
 * write-protected again. One client at a time, so one of each. */
struct scratch {
	struct pool_reply rep;
	struct run_result res;
	char msg[sizeof(struct pool_hello) + SHAPE_MAX + 1];
	char shape[SHAPE_MAX]; /* this worker's shape as text, written once */
	int shape_len;	       /* or -errno */
};
static struct scratch *scratch;

static int
scratch_init(void)
{
	void *p = mmap(NULL, sizeof(struct scratch), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Without it (it cannot fail on an anonymous mapping) the pages are only shared. */
	(void)madvise(p, sizeof(struct scratch), MADV_DONTFORK);
	scratch = p;
	return 0;
}

static void
reply(int conn, int err, const struct run_result *res, int result_err, const char *why)
{
	struct pool_reply *rep = &scratch->rep;
	memset(rep, 0, sizeof(*rep));
	rep->magic = POOL_MAGIC;
	rep->version = POOL_VERSION;
	rep->err = err;
	rep->result_size = sizeof(struct run_result);
	rep->result_err = result_err;
	if (res)
		rep->result = *res;
	if (why)
		snprintf(rep->result.message, sizeof(rep->result.message), "%s", why);
	(void)!send(conn, rep, sizeof(*rep), MSG_NOSIGNAL);
}

/* The CPU @pid last ran on (field 39 of /proc/PID/stat), or -1: for a client that did not
 * say. */
static int
last_cpu(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (util_read_file_at(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return -1;
	/* Fields are counted after the ')' that closes comm (which may contain spaces). */
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 39; field++)
		p = strchr(p + 1, ' ');
	int cpu;
	return p && sscanf(p + 1, "%d", &cpu) == 1 ? cpu : -1;
}

/* Runs the worker and the box's init (and so the program) on @cpu, or anywhere for -1. The
 * client waits on its CPU for the whole run: handing work along a chain of processes that
 * all run there costs no cross-CPU wake-up, and each one (an IPI to a halted vCPU) costs
 * tens to hundreds of microseconds on this kind of guest; the run takes about 2 ms less
 * (docs/performance.md). */
static void
follow_cpu(pid_t init, int cpu)
{
	cpu_set_t set;
	if (cpu < 0) {
		if (sched_getaffinity(getppid(), sizeof(set), &set) < 0)
			return;
	} else {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
	}
	(void)sched_setaffinity(0, sizeof(set), &set);
	if (init > 0)
		(void)sched_setaffinity(init, sizeof(set), &set);
}

/* One client in @box. Returns whether the box was used (then it must be destroyed); a
 * request refused before its program was handed over leaves the box for the next client. */
static bool
serve_one(int conn, struct run_box *box)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fds[UTIL_MAX_FDS];
	struct pool_hello h;

	struct pollfd pf = {.fd = conn, .events = POLLIN};
	if (poll(&pf, 1, 5000) <= 0) {
		reply(conn, -ETIMEDOUT, NULL, 0, "no request within 5 s");
		return false;
	}
	char *msg = scratch->msg;
	/* Read the request even from a peer about to be refused: a connection closed with its
	 * message unread resets, and the peer would get ECONNRESET instead of the reason. */
	size_t nfds = 0;
	ssize_t k = util_recv_fds(conn, msg, sizeof(scratch->msg), fds, &nfds, MSG_DONTWAIT);

	int err = 0;
	bool used = false;
	const char *why = NULL;
	/* The socket's directory is root's alone; the peer's uid is still checked. */
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		reply(conn, -EPERM, NULL, 0, "only root may use the pool");
		return false;
	}
	memset(&h, 0, sizeof(h));
	if (k >= (ssize_t)sizeof(h))
		memcpy(&h, msg, sizeof(h));
	size_t want = 1 + !!(h.flags & HAS_STDIN) + !!(h.flags & HAS_STDOUT) +
		      !!(h.flags & HAS_STDERR) + !!(h.flags & HAS_RESULT);
	const char *mine = scratch->shape;
	int mine_len = scratch->shape_len;
	if (k < (ssize_t)sizeof(h) || h.magic != POOL_MAGIC)
		err = -EBADMSG, why = "malformed pool request";
	else if (h.version != POOL_VERSION || h.result_size != sizeof(struct run_result))
		err = -EPROTO, why = "the pool runs another gradebox version";
	else if (nfds != want || h.shape_len != (size_t)k - sizeof(h))
		err = -EBADMSG, why = "malformed pool request";
	else if (mine_len < 0 || h.shape_len != (uint32_t)mine_len ||
		 memcmp(msg + sizeof(h), mine, (size_t)mine_len) != 0)
		err = -EXDEV, why = "the pool's sandboxes have another shape (disk size, binds)";

	/* The worker reads the request and hands init its own copy (run_box_exec() packs it
	 * again): the client still holds the memfd and could change it after the checks. */
	_cleanup_(run_request_freep) struct run_request *q = NULL;
	char why_buf[128];
	if (!err && (err = run_request_unpack(fds[0], &q)) < 0) {
		snprintf(why_buf, sizeof(why_buf), "malformed run request: %s", strerror(-err));
		why = why_buf;
	}
	if (!err) {
		struct run_config c = *run_request_config(q);
		size_t i = 1;
		c.stdin_fd = (h.flags & HAS_STDIN) ? fds[i++] : -1;
		c.stdout_fd = (h.flags & HAS_STDOUT) ? fds[i++] : -1;
		c.stderr_fd = (h.flags & HAS_STDERR) ? fds[i++] : -1;
		int result_fd = (h.flags & HAS_RESULT) ? fds[i++] : -1;
		c.cancel_fd = conn;
		struct run_result *res = &scratch->res;
		used = true;
		/* The program runs at its client's niceness, as a cold run would; only building
		 * boxes is background work, at nice 19 (see worker_main). On cgroup v2 the box's
		 * group gets the weight of that niceness too (run.h, cpu_weight). The client is
		 * root (checked above): nothing is raised that it could not raise itself. */
		int nice;
		c.cpu_weight = run_cpu_weight_of(cred.pid, &nice);
		(void)setpriority(PRIO_PROCESS, 0, nice);
		(void)setpriority(PRIO_PROCESS, (id_t)run_box_init_pid(box), nice);
		/* The client says where it waits (one vDSO call there instead of a /proc read
		 * here); a CPU that is not online makes follow_cpu() a no-op. */
		int cpu = h.cpu >= 0 && h.cpu < CPU_SETSIZE ? h.cpu : last_cpu(cred.pid);
		follow_cpu(run_box_init_pid(box), cpu);
		/* -EXDEV here (the request's disk size is not the box's) backs up the shape check. */
		if ((err = run_box_exec(box, &c, res)) < 0) {
			snprintf(why_buf, sizeof(why_buf), "the pool could not run the request: %s",
				 strerror(-err));
			why = why_buf;
		} else {
			/* Written before the reply: the client exits on it, and the file must be
			 * complete by then. */
			int rerr = 0;
			if (result_fd >= 0) {
				json_t *j = run_result_json(res, true);
				rerr = j ? run_json_dump(j, result_fd) : -ENOMEM;
				json_decref(j);
			}
			reply(conn, 0, res, rerr, NULL);
		}
		/* Tearing down and rebuilding may go anywhere. */
		follow_cpu(run_box_init_pid(box), -1);
	}
	if (err)
		reply(conn, err, NULL, 0, why);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return used;
}

/* Called right after a box was built, before waiting for its client: takes the
 * copy-on-write faults that serving the request would otherwise take on the client's
 * critical path. The box's init is a clone of this worker, so every page is write-protected
 * again, and the first write to each traps (25 us here). What the request path writes besides
 * the scratch mapping: the stack below this frame, and malloc's arena and the top of its heap
 * (a request is unpacked into a few blocks of a few KiB). Building the next box writes all
 * of these anyway before its own clone, so this adds no fault per run; it moves them. */
static __attribute__((noinline)) void
prefault_request_path(void)
{
	volatile char stack[16 * 1024];
	for (size_t i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
	void *volatile block = malloc(4096); /* volatile: the pair is not optimized away */
	free(block);
}

_noreturn_ static void
worker_main(int lfd, pid_t master, const struct run_config *defaults)
{
	struct run_config shape = *defaults;
	_cleanup_(run_slot_releasep) struct run_slot *slot = NULL;
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: accept() returns */

	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	(void)prctl(PR_SET_NAME, "gradebox-pool");
	int r = scratch_init();
	if (r < 0) {
		log_error_errno(r, "pool worker: cannot map its buffers: %m");
		_exit(2);
	}
	r = run_slot_acquire(NULL, &slot);
	if (r < 0) {
		log_error_errno(r, "pool worker: no free slot: %m");
		_exit(2);
	}
	shape.slot = slot;
	/* The slot keeps one network namespace for all its runs: creating and destroying one
	 * per run is the largest single cost of a sandbox's setup. Runs of one worker never
	 * overlap, so no two sandboxes share it at the same time (abstract sockets and loopback
	 * would leak between them); what a run can leave in it is listed in docs/SECURITY.md. */
	_cleanup_close_ int netns = -1;
	r = run_netns_create(&netns);
	if (r < 0) {
		log_error_errno(r, "pool worker: cannot create a network namespace: %m");
		_exit(2);
	}
	shape.netns_fd = netns;
	scratch->shape_len = pool_shape_text(&shape, scratch->shape, sizeof(scratch->shape));

	struct run_box *box = NULL;
	while (!stopping) {
		struct run_result pr;
		/* Building and tearing down boxes is background work: at nice 19 it takes what the
		 * running programs and their clients leave of the CPU. */
		(void)setpriority(PRIO_PROCESS, 0, 19);
		if (!box)
			run_box_prepare(&shape, &box, &pr);
		if (!box) {
			log_error("pool worker: cannot build a sandbox: %s", pr.message);
			sleep(1);
			continue;
		}
		prefault_request_path();
		int conn = -1;
		while (!stopping && conn < 0) {
			conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (conn < 0 && errno != EINTR && errno != ECONNABORTED) {
				log_error("pool worker: accept: %m");
				sleep(1);
			}
		}
		bool used = false;
		if (conn >= 0) {
			used = serve_one(conn, box);
			close(conn);
		}
		if (!used && !stopping)
			continue;
		(void)setpriority(PRIO_PROCESS, 0, 19);
		(void)setpriority(PRIO_PROCESS, (id_t)run_box_init_pid(box), 19);
		r = run_box_destroy(TAKE_PTR(box));
		if (r < 0) {
			/* Something of the sandbox survived: never build on top of it. */
			log_error_errno(r, "pool worker: cannot remove a used sandbox: %m");
			_exit(2);
		}
	}
	/* Stopped while a box waited (or after a refused request): it goes too. */
	if (box && run_box_destroy(TAKE_PTR(box)) < 0)
		log_error("pool worker: cannot remove an idle sandbox's cgroup");
	run_slot_release(TAKE_PTR(slot));
	_exit(0);
}

/* ---- master ---- */

static void
pool_usage(FILE *f)
{
	fputs("usage: gradebox pool [--sandboxes N] [--socket PATH] [--disk SIZE] "
	      "[--bind-ro SRC:DST]...\n"
	      "\n"
	      "Keeps N sandboxes (default 2) built ahead for `gradebox run`, which uses them\n"
	      "when it finds the socket (default " POOL_SOCKET ", or $GRADEBOX_POOL_SOCKET) and\n"
	      "its own --disk and --bind-ro options equal the pool's; otherwise it builds its\n"
	      "own sandbox. Each sandbox serves one run. Stops on SIGTERM or SIGINT.\n",
	      f);
}

static pid_t
spawn_worker(int lfd, const struct run_config *defaults)
{
	pid_t master = getpid();
	pid_t pid = fork();
	if (pid == 0)
		worker_main(lfd, master, defaults);
	return pid;
}

int
cmd_pool(int argc, char **argv)
{
	static const struct option opts[] = {
		{"sandboxes", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"disk", required_argument, NULL, 'd'},
		{"bind-ro", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char *path = NULL;
	uint64_t n = 2;
	pid_t workers[MAX_WORKERS] = {0};
	struct sockaddr_un sa;
	struct run_config defaults;
	static struct run_bind binds[64];
	int o, r;

	run_config_init(&defaults);
	defaults.binds = binds;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			if (util_parse_u64(optarg, &n) < 0 || n == 0 || n > MAX_WORKERS)
				return log_error("--sandboxes: expected 1..%d, got '%s'",
						 MAX_WORKERS, optarg),
				       2;
			break;
		case 's':
			path = optarg;
			break;
		case 'd':
			if (util_parse_size(optarg, &defaults.disk_bytes) < 0 ||
			    defaults.disk_bytes == 0)
				return log_error("--disk: invalid size '%s'", optarg), 2;
			break;
		case 'b': {
			/* Same syntax and resolution as `gradebox run --bind-ro`, so that the
			 * shapes compare equal. */
			char *colon = strchr(optarg, ':');
			if (defaults.n_binds >= ELEMENTSOF(binds))
				return log_error("--bind-ro: too many binds"), 2;
			if (!colon || colon == optarg || colon[1] != '/')
				return log_error("--bind-ro: expected SRC:/DST, got '%s'", optarg),
				       2;
			*colon = 0;
			char *src = realpath(optarg, NULL);
			if (!src)
				return log_error("--bind-ro: source '%s': %m", optarg), 2;
			binds[defaults.n_binds++] = (struct run_bind){.src = src, .dst = colon + 1};
			break;
		}
		case 'h':
			pool_usage(stdout);
			return 0;
		default:
			pool_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pool_usage(stderr);
		return 2;
	}
	if (geteuid() != 0)
		return log_error("pool: must run as root"), 2;
	path = pool_socket_path(path);
	if ((r = pool_sockaddr(path, &sa)) < 0)
		return log_error("pool: socket path too long: %s", path), 2;

	char dir[sizeof(sa.sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if ((r = util_mkdir_p(dir, 0700)) < 0)
			return log_error_errno(r, "pool: cannot create %s: %m", dir), 2;
	}
	_cleanup_close_ int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return log_error("pool: socket: %m"), 2;
	/* A live pool answers; a dead one left its socket file behind. */
	if (connect(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return log_error("pool: another pool already listens on %s", path), 2;
	close(lfd);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	(void)unlink(path);
	mode_t old = umask(0177);
	r = bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(lfd, 128) < 0)
		return log_error("pool: cannot listen on %s: %m", path), 2;

	struct sigaction sa_stop = {.sa_handler = on_stop};
	sigemptyset(&sa_stop.sa_mask);
	(void)sigaction(SIGTERM, &sa_stop, NULL);
	(void)sigaction(SIGINT, &sa_stop, NULL);

	(void)run_cleanup_stale(NULL, NULL);
	for (uint64_t i = 0; i < n; i++)
		if ((workers[i] = spawn_worker(lfd, &defaults)) < 0)
			log_error("pool: fork: %m");
	log_notice("pool: %llu warm sandbox%s on %s", (unsigned long long)n, n == 1 ? "" : "es",
		   path);

	uint64_t last_restart = 0;
	while (!stopping) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0 && errno == EINTR)
			continue;
		for (uint64_t i = 0; i < n && w > 0; i++)
			if (workers[i] == w) {
				workers[i] = 0;
				log_error("pool: worker %d ended (%s %d); starting another", (int)w,
					  WIFSIGNALED(st) ? "signal" : "status",
					  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			}
		/* Replace dead workers (and forks that failed). Rate-limited: a worker that
		 * cannot build a box must not make this loop spin. Its slot's cgroup goes first. */
		for (uint64_t i = 0; i < n && !stopping; i++) {
			if (workers[i] > 0)
				continue;
			if (util_now_ns() - last_restart < 1000000000ULL)
				sleep(1);
			last_restart = util_now_ns();
			(void)run_cleanup_stale(NULL, NULL);
			if ((workers[i] = spawn_worker(lfd, &defaults)) < 0)
				log_error("pool: fork: %m");
		}
	}

	log_notice("pool: stopping");
	(void)unlink(path);
	for (uint64_t i = 0; i < n; i++)
		if (workers[i] > 0)
			(void)kill(workers[i], SIGTERM);
	for (uint64_t i = 0; i < n; i++)
		if (workers[i] > 0)
			(void)waitpid(workers[i], NULL, 0);
	(void)run_cleanup_stale(NULL, NULL);
	return 0;
}
