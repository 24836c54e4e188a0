/* SPDX-License-Identifier: MIT */
/* The supervisor and the sandbox's init. Order of events (each step says why it sits there):
 *   supervisor: slot + uid range, cgroup with limits, clone3 into new pid/mount/ipc/uts/net ns
 *   init:       waits until it is in the cgroup, unshares the cgroup ns (trap 4), builds the
 *               root while still host root (trap 7), brings lo up, unshares the user ns last
 *               so every other namespace is owned by the initial user namespace
 *   supervisor: writes setgroups=deny and the uid/gid maps
 *   init:       becomes root of the new user ns, locks namespace creation down (trap 5),
 *               drops every capability, forks the program, then only reaps and forwards
 *   program:    rlimits, fds, seccomp filter (last, trap 8), hands the listener to the
 *               supervisor (trap 9), execve
 *   supervisor: polls pipes, the init's pidfd, the seccomp listener and timers; kills the whole
 *               pid namespace (trap 13) on any limit; reads usage from the cgroup. */
#include "run.h"

#include "caps.h"
#include "cgroup.h"
#include "image.h"
#include "mount.h"
#include "ns.h"
#include "policy.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define DEFAULT_STATE_DIR   "/run/gradebox"
#define DEFAULT_CGROUP_ROOT "/sys/fs/cgroup"
#define SETUP_EXIT	    125 /* init's exit code when setup failed (reported over the socket) */

#define MARK(r, step) ((r)->step_ns[step] = util_now_ns())

enum run_status
run_classify(const struct run_observation *o)
{
	if (o->setup_failed)
		return RUN_XX;
	/* The denied call never ran; whatever the program did before or after is moot. */
	if (o->seccomp_denied)
		return RUN_SV;
	if (o->output_limit_hit)
		return RUN_OL;
	/* An OOM kill shows up as SIGKILL: the counter, not the signal, says why. */
	if (o->oom_kills > 0)
		return RUN_ML;
	if (o->cpu_limit_hit || (o->signaled && o->signal == SIGXCPU))
		return RUN_TO;
	if (o->wall_limit_hit)
		return RUN_WT;
	if (o->signaled)
		return RUN_SG;
	if (o->exited && o->exit_code != 0)
		return RUN_RE;
	if (o->exited)
		return RUN_OK;
	return RUN_XX; /* neither exited nor signalled: we lost track of it */
}

struct run_slot {
	unsigned slot;
	int lock_fd; /* owned: the OFD lock that makes the slot ours */
};

/* ---- messages between the sandbox and the supervisor (SOCK_SEQPACKET: one per send) ---- */

enum msg_type {
	MSG_SETUP_ERROR = 1, /* init or program: a setup step failed (step text, errno) */
	MSG_MAP_ME,	     /* init: I unshared the user ns, write my maps */
	MSG_LISTENER,	     /* program: the seccomp listener fd rides along (SCM_RIGHTS) */
	MSG_STATUS,	     /* init: the program's wait status */
	MSG_EXEC_FAILED,     /* program: execve failed (errno) */
	MSG_UPPER,	     /* init: the writable layer's upper dir fd rides along */
	MSG_READY,	     /* init: everything dropped, waiting for the program */
	MSG_EXEC,	     /* supervisor: the request memfd (and a stdin fd) ride along */
};

struct msg {
	int32_t type;
	int32_t err;
	int32_t status;
	char text[100];
};

static void
send_msg(int sock, enum msg_type type, int err, int status, const char *text)
{
	struct msg m = {.type = type, .err = err, .status = status};
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	(void)!write(sock, &m, sizeof(m));
}

_noreturn_ static void
child_fail(int sock, const char *step, int r)
{
	send_msg(sock, MSG_SETUP_ERROR, r < 0 ? -r : r, 0, step);
	_exit(SETUP_EXIT);
}

/* Sends a message with @n (1 or 2) fds; m.status carries their number. */
static int
send_fds(int sock, enum msg_type type, const int *fds, int n)
{
	struct msg m = {.type = type, .status = n};
	return util_send_fds(sock, &m, sizeof(m), fds, (size_t)n);
}

static int
send_fd(int sock, enum msg_type type, int fd)
{
	return send_fds(sock, type, &fd, 1);
}

/* Receives one message; fds[0..1] get passed fds or -1. @flags: MSG_DONTWAIT or 0.
 * Returns 1, 0 on EOF, or -errno. */
static int
recv_msg_fds(int sock, struct msg *m, int fds[2], int flags)
{
	int all[UTIL_MAX_FDS];
	size_t n;
	ssize_t k = util_recv_fds(sock, m, sizeof(*m), all, &n, flags);

	fds[0] = all[0];
	fds[1] = all[1];
	for (size_t i = 2; i < n; i++)
		close(all[i]); /* never sent: nothing of ours passes more than two */
	if (k <= 0)
		return (int)k;
	if ((size_t)k != sizeof(*m)) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		fds[0] = fds[1] = -1;
		return -EBADMSG;
	}
	return 1;
}

/* ---- the sandbox side ---- */

struct child_args {
	const struct mount_plan *plan;
	int sock;
	int netns_fd; /* join this network namespace; -1: clone3 made a new one */
	int devnull;  /* the program's stdin unless the request brings one */
	int stdout_w, stderr_w;
};

static char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin", env_home[] = "HOME=/box",
	    env_tmp[] = "TMPDIR=/tmp", env_lang[] = "LANG=C.UTF-8", env_user[] = "USER=box",
	    env_logname[] = "LOGNAME=box";
static char *const default_env[] = {env_path, env_home,	   env_tmp, env_lang,
				    env_user, env_logname, NULL};

static volatile sig_atomic_t program_pid;

static void
forward_signal(int sig)
{
	if (program_pid > 0)
		(void)kill(program_pid, sig);
}

static int
set_rlimit(int res, uint64_t v)
{
	struct rlimit rl = {.rlim_cur = v, .rlim_max = v};
	return setrlimit(res, &rl) < 0 ? -errno : 0;
}

_noreturn_ static void
program_exec(const struct child_args *a, const struct run_config *c, int stdin_fd)
{
	int r;

	/* A new session: no controlling terminal to push input into (TIOCSTI). */
	(void)setsid();
	if (dup2(stdin_fd, 0) < 0 || dup2(a->stdout_w, 1) < 0 || dup2(a->stderr_w, 2) < 0)
		child_fail(a->sock, "dup2 standard streams", -errno);
	/* Only 0, 1, 2 and our socket survive; close_range() leaves no inherited host fd. */
	if (a->sock > 3)
		(void)syscall(SYS_close_range, 3, a->sock - 1, 0);
	(void)syscall(SYS_close_range, a->sock + 1, ~0U, 0);

	uint64_t cpu_s = (c->cpu_time_ms + 999) / 1000 + 1;
	if ((r = set_rlimit(RLIMIT_NOFILE, c->open_files)) < 0 ||
	    (r = set_rlimit(RLIMIT_FSIZE, c->file_size)) < 0 ||
	    (r = set_rlimit(RLIMIT_CORE, 0)) < 0 ||
	    /* Backstop only: the cgroup counter is the real CPU limit (one process could not
	     * escape it by forking). */
	    (r = set_rlimit(RLIMIT_CPU, cpu_s)) < 0 ||
	    (r = set_rlimit(RLIMIT_NPROC, c->pids ? c->pids : 64)) < 0)
		child_fail(a->sock, "setrlimit", r);
	if (chdir(c->cwd ? c->cwd : "/box") < 0)
		child_fail(a->sock, "chdir to the working directory", -errno);

	sigset_t all;
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);

	/* Last step before exec (trap 8): after this only the policy's calls work. The policy
	 * must allow sendmsg, write, close and execve, which this code needs. */
	/* The program was compiled by the supervisor (or read from its cache): loading it is one
	 * syscall, and the kernel hands back the listener for the supervisor. */
	struct sock_fprog prog = {.len = (unsigned short)c->bpf->len, .filter = c->bpf->insns};
	int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (listener < 0)
		child_fail(a->sock, "load the seccomp filter", -errno);
	r = send_fd(a->sock, MSG_LISTENER, listener);
	if (r < 0)
		_exit(SETUP_EXIT);
	(void)close(listener);

	/* execvpe: PATH is searched inside the sandbox's own root. */
	execvpe(c->argv[0], c->argv, c->envp ? c->envp : default_env);
	send_msg(a->sock, MSG_EXEC_FAILED, errno, 0, c->argv[0]);
	_exit(127);
}

struct spawn_args {
	const struct child_args *a;
	const struct run_config *c;
	int stdin_fd;
};

static int
spawn_main(void *userdata)
{
	const struct spawn_args *x = userdata;
	program_exec(x->a, x->c, x->stdin_fd);
}

/* Starts the program like posix_spawn(): CLONE_VM | CLONE_VFORK, so the kernel does not copy
 * init's page tables only to throw them away at execve (on this machine's shadow-paged
 * guests a plain fork of init cost 1-2 ms, half the run of /bin/true). init sleeps until the
 * program's execve (or its exit on a setup failure); the child only touches its own stack,
 * and errno, which init does not read until then. A forwarded signal arriving before the
 * execve finds program_pid still 0 and does nothing; execve resets the handlers. */
static pid_t
spawn_program(const struct child_args *a, const struct run_config *c, int stdin_fd)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct spawn_args x = {.a = a, .c = c, .stdin_fd = stdin_fd};
	pid_t pid = clone(spawn_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &x);
	return pid < 0 ? -errno : pid;
}

/* The init is a copy of the supervisor: its argv (host paths, options) would show in
 * /proc/1/cmdline to the program. Blank the memory the kernel reads it from. */
static void
wipe_cmdline(void)
{
	char buf[1024];
	unsigned long long start = 0, end = 0;

	if (util_read_file_at(AT_FDCWD, "/proc/self/stat", buf, sizeof(buf)) <= 0)
		return;
	/* Fields 48 and 49 (arg_start, arg_end), counted after the ')' closing comm. */
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 48; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu %llu", &start, &end) != 2 || end <= start ||
	    end - start > (1 << 20))
		return;
	memset((void *)(uintptr_t)start, 0, (size_t)(end - start));
}

_noreturn_ static void
init_main(const struct child_args *a)
{
	const char *step = NULL;
	char go;
	int r;

	/* If the supervisor dies, the whole sandbox dies with its init. The race before prctl()
	 * is closed by the blocking read below: a dead supervisor gives EOF. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_NAME, "gradebox-init");
	if (read(a->sock, &go, 1) != 1)
		_exit(SETUP_EXIT);

	/* Trap 4: only now, inside our own cgroup, does the cgroup namespace get the right root. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		child_fail(a->sock, "unshare cgroup namespace", -errno);
	/* Still host root, so joining the slot's kept namespace is allowed; its loopback is up. */
	if (a->netns_fd >= 0) {
		if (setns(a->netns_fd, CLONE_NEWNET) < 0)
			child_fail(a->sock, "join the slot's network namespace", -errno);
		(void)close(a->netns_fd);
	}
	int upper_fd = -1;
	r = mount_build_root_upper(a->plan, &step, &upper_fd);
	if (r < 0)
		child_fail(a->sock, step, r);
	if (upper_fd >= 0) {
		(void)send_fd(a->sock, MSG_UPPER, upper_fd);
		(void)close(upper_fd);
	}
	wipe_cmdline();
	if (sethostname("gradebox", 8) < 0 || setdomainname("gradebox", 8) < 0)
		child_fail(a->sock, "sethostname", -errno);
	r = a->netns_fd >= 0 ? 0 : ns_loopback_up();
	if (r < 0)
		child_fail(a->sock, "bring up loopback", r);
	/* Trap 2: the host's supplementary groups (gid 0!) survive setgroups=deny. */
	if (setgroups(0, NULL) < 0)
		child_fail(a->sock, "drop supplementary groups", -errno);

	/* The user namespace comes last, so the pid, mount, net, ipc, uts and cgroup namespaces
	 * all belong to the initial one: even root inside could not reconfigure them. */
	if (unshare(CLONE_NEWUSER) < 0)
		child_fail(a->sock, "unshare user namespace", -errno);
	send_msg(a->sock, MSG_MAP_ME, 0, 0, NULL);
	if (read(a->sock, &go, 1) != 1)
		_exit(SETUP_EXIT);
	/* Trap 1: writing the map changed nothing yet; become the namespace's root for the
	 * lock-down, then the sandbox user. */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		child_fail(a->sock, "become root of the user namespace", -errno);
	r = ns_lock_down();
	if (r < 0)
		child_fail(a->sock, "limit namespaces to 0", r);
	r = caps_drop_all(NS_BOX_UID, NS_BOX_UID);
	if (r < 0)
		child_fail(a->sock, "drop capabilities", r);
	/* Not dumpable: the program (same uid) cannot open /proc/1/mem and forge messages. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	/* Changing uids cleared the parent-death signal (prctl(2)): set it again, then make sure
	 * the supervisor did not die in between (its end of the socket would be closed). */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd pf = {.fd = a->sock, .events = POLLIN};
	if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)))
		_exit(SETUP_EXIT);

	struct sigaction sa = {.sa_handler = forward_signal};
	sigemptyset(&sa.sa_mask);
	static const int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < ELEMENTSOF(fwd); i++)
		(void)sigaction(fwd[i], &sa, NULL);
	/* The supervisor may run with signals blocked (`gradebox run` blocks the ones that
	 * cancel a run): init forwards them, so it must receive them. */
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Everything that does not depend on the program is done: from here on the box may wait
	 * (a warm pool keeps it like this until a request comes). */
	send_msg(a->sock, MSG_READY, 0, 0, NULL);
	struct msg m;
	int fds[2];
	do
		r = recv_msg_fds(a->sock, &m, fds, 0);
	while (r == -EINTR);
	if (r <= 0)
		_exit(SETUP_EXIT); /* the supervisor went away: nothing to run */
	if (m.type != MSG_EXEC || fds[0] < 0)
		child_fail(a->sock, "receive the program", -EBADMSG);
	_cleanup_(run_request_freep) struct run_request *q = NULL;
	r = run_request_unpack(fds[0], &q);
	(void)close(fds[0]);
	if (r < 0)
		child_fail(a->sock, "read the program's request", r);
	const struct run_config *c = run_request_config(q);
	int stdin_fd = fds[1] >= 0 ? fds[1] : a->devnull;

	pid_t pid = spawn_program(a, c, stdin_fd);
	if (pid < 0)
		child_fail(a->sock, "start the program", pid);
	program_pid = pid;
	(void)close(a->stdout_w);
	(void)close(a->stderr_w);
	(void)close(a->devnull);
	if (fds[1] >= 0)
		(void)close(fds[1]);

	/* pid 1: reap everything; report the program's own status. If init dies (killed on a
	 * limit, or with its supervisor) the kernel kills every other process of the namespace,
	 * so no grandchild survives the run either way. */
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			_exit(SETUP_EXIT);
		if (w == pid) {
			send_msg(a->sock, MSG_STATUS, 0, st, NULL);
			break;
		}
	}
	/* The program is done: end whatever it left running and reap it all, so the seccomp
	 * listener hangs up (the supervisor's sign that nothing of the run is left). Killed
	 * processes cannot fork any more, so the loop ends; the pids limit bounds it. Then stay:
	 * our exit tears down the pid, mount and network namespaces, which the supervisor does
	 * after it has answered, by killing us (run_box_destroy()). */
	for (;;) {
		(void)kill(-1, SIGKILL);
		pid_t w = waitpid(-1, NULL, 0);
		if (w < 0 && errno == ECHILD)
			break;
	}
	char byte;
	while (read(a->sock, &byte, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* ---- the supervisor side ---- */

struct stream {
	int fd;		/* owned; read end of the pipe, -1 at EOF */
	int out;	/* borrowed; where the bytes go, -1 to discard */
	uint64_t total; /* bytes produced */
	uint64_t kept;	/* bytes written to out */
};

struct supervisor {
	const struct run_config *c; /* borrowed for the current phase */
	struct run_result *r;	    /* borrowed for the current phase */
	struct run_observation obs;
	struct cgroup *cg; /* borrowed from the box */
	int pidfd;
	int sock;
	int listener;
	int upper_fd;	   /* owned: the writable layer's upper directory, for snapshots */
	bool listener_hup; /* the filter has no users left */
	pid_t init_pid;
	unsigned slot;
	bool until_ready; /* prepare phase: return once init is ready */
	bool ready;	  /* init waits for its program */
	bool exited;	  /* init was reaped */
	bool killed;
	bool frozen;
	bool got_status;
	uint64_t cpu_base_ns; /* cgroup CPU at exec time: setup is not the student's */
	uint64_t start_ns;
	uint64_t deadline_ns;
	struct stream out[2];
	char setup_error[160];
};

struct run_box {
	struct supervisor s;
	struct run_result prep; /* the prepare phase's own result: steps, why it failed */
	struct cgroup *cg;	/* owned */
	struct cgroup_limits lim;
	uint64_t disk_bytes;
	int slot_fd; /* owned: the slot's lock, when the box took a slot of its own */
	int devnull; /* owned */
	bool used;
};

static void
kill_sandbox(struct supervisor *s)
{
	if (s->killed || s->exited)
		return;
	s->killed = true;
	/* SIGKILL to the pid namespace's init takes every process of the sandbox with it. */
	(void)syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
	/* A frozen v1 task only dies once thawed (trap 12). */
	if (s->frozen)
		(void)cgroup_freeze(s->cg, false);
}

/* Appends "pid ppid state comm args" for each process of the (frozen) sandbox. */
static void
describe_processes(struct supervisor *s, char *buf, size_t size)
{
	char path[PATH_MAX], line[512];
	size_t off = 0;

	buf[0] = 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_path(s->cg));
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && off + 1 < size) {
		int pid = atoi(line);
		char stat[512], cmd[256], p2[64];
		snprintf(p2, sizeof(p2), "/proc/%d/stat", pid);
		if (util_read_file_at(AT_FDCWD, p2, stat, sizeof(stat)) <= 0)
			continue;
		/* stat: "pid (comm) S ppid ..."; comm may contain spaces and parentheses. */
		char *lp = strchr(stat, '('), *rp = strrchr(stat, ')');
		if (!lp || !rp || rp < lp)
			continue;
		*rp = 0;
		char state = rp[2];
		int ppid = atoi(rp + 4);
		snprintf(p2, sizeof(p2), "/proc/%d/cmdline", pid);
		ssize_t n = util_read_file_at(AT_FDCWD, p2, cmd, sizeof(cmd));
		for (ssize_t i = 0; i < n; i++)
			if (cmd[i] == 0 || cmd[i] < 0x20 || cmd[i] > 0x7e)
				cmd[i] = cmd[i] == 0 ? ' ' : '?';
		off += (size_t)snprintf(buf + off, size - off, "%d %d %c %.32s %.120s\n", pid, ppid,
					state, lp + 1, n > 0 ? cmd : "");
	}
}

/* Incident response: freeze everything, describe it, let the caller snapshot the writable
 * layer, then the caller kills. The freeze makes the snapshot consistent and stops a process
 * from racing the kill (a fork bomb or a second attempt). */
static void
incident(struct supervisor *s)
{
	if (cgroup_freeze(s->cg, true) == 0)
		s->frozen = s->r->frozen = true;
	describe_processes(s, s->r->process_tree, sizeof(s->r->process_tree));
	if (s->c->on_violation) {
		struct run_violation v = {.syscall = s->r->denied_syscall,
					  .args = s->r->denied_args,
					  .pid = s->r->denied_pid,
					  .upper_dirfd = s->upper_fd,
					  .process_tree = s->r->process_tree};
		s->c->on_violation(&v, s->c->on_violation_userdata);
	}
}

static void
handle_notification(struct supervisor *s)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		return;
	/* Trap 9: the struct must be zero before every receive. */
	memset(req, 0, sizeof(*req));
	if (seccomp_notify_receive(s->listener, req) == 0) {
		if (!s->obs.seccomp_denied) {
			uint32_t arch = req->data.arch;
			int nr = req->data.nr;
			const char *prefix = "";
			if (arch == SCMP_ARCH_X86)
				prefix = "i386:";
			else if (arch == SCMP_ARCH_X86_64 && (nr & 0x40000000)) {
				prefix = "x32:";
				arch = SCMP_ARCH_X32;
			}
			char *name = seccomp_syscall_resolve_num_arch(arch, nr);
			snprintf(s->r->denied_syscall, sizeof(s->r->denied_syscall), "%s%s", prefix,
				 name ? name : "unknown");
			if (!name)
				snprintf(s->r->denied_syscall + strlen(s->r->denied_syscall),
					 sizeof(s->r->denied_syscall) -
						 strlen(s->r->denied_syscall),
					 "(%d)", nr);
			free(name);
			memcpy(s->r->denied_args, req->data.args, sizeof(s->r->denied_args));
			s->r->denied_pid = (pid_t)req->pid;
			s->obs.seccomp_denied = true;
			incident(s);
		}
		/* No answer: the caller stays blocked inside the denied call until the kill
		 * reaches it, so the call never runs and never even returns an error. */
		kill_sandbox(s);
	}
	seccomp_notify_free(req, resp);
}

static void
handle_msg(struct supervisor *s)
{
	struct msg m;
	int fds[2];

	for (;;) {
		int r = recv_msg_fds(s->sock, &m, fds, MSG_DONTWAIT);
		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			/* EOF or garbage: the sandbox side is gone or broken. */
			close(s->sock);
			s->sock = -1;
			return;
		}
		switch ((enum msg_type)m.type) {
		case MSG_SETUP_ERROR:
			s->obs.setup_failed = true;
			m.text[sizeof(m.text) - 1] = 0;
			snprintf(s->setup_error, sizeof(s->setup_error),
				 "sandbox setup failed: %s: %s", m.text, strerror(m.err));
			break;
		case MSG_MAP_ME: {
			MARK(s->r, RUN_STEP_ROOT);
			int w = ns_write_id_maps(s->init_pid, s->slot);
			if (w < 0) {
				s->obs.setup_failed = true;
				snprintf(s->setup_error, sizeof(s->setup_error),
					 "sandbox setup failed: write uid/gid map: %s",
					 strerror(-w));
				kill_sandbox(s);
			} else
				(void)!write(s->sock, "M", 1);
			break;
		}
		case MSG_READY:
			s->ready = true;
			break;
		case MSG_LISTENER:
			MARK(s->r, RUN_STEP_EXEC);
			if (fds[0] >= 0 && s->listener < 0) {
				s->listener = TAKE_FD(fds[0]);
				(void)cgroup_cpu_usage(s->cg, &s->cpu_base_ns);
			}
			break;
		case MSG_STATUS:
			if (s->got_status)
				break;
			s->got_status = true;
			MARK(s->r, RUN_STEP_EXITED);
			s->r->wall_time_ms = (util_now_ns() - s->start_ns) / 1000000ULL;
			if (WIFEXITED(m.status)) {
				s->obs.exited = true;
				s->obs.exit_code = WEXITSTATUS(m.status);
			} else if (WIFSIGNALED(m.status)) {
				s->obs.signaled = true;
				s->obs.signal = WTERMSIG(m.status);
			}
			break;
		case MSG_UPPER:
			if (fds[0] >= 0 && s->upper_fd < 0)
				s->upper_fd = TAKE_FD(fds[0]);
			break;
		case MSG_EXEC_FAILED:
			m.text[sizeof(m.text) - 1] = 0;
			snprintf(s->r->message, sizeof(s->r->message), "cannot execute '%s': %s",
				 m.text, strerror(m.err));
			break;
		case MSG_EXEC:
			break; /* ours; never comes back */
		}
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
}

static void
handle_stream(struct supervisor *s, struct stream *st)
{
	/* Static, not on the stack: with -fstack-clash-protection a 64 KiB frame touches all its
	 * 16 pages on every first call, and page faults are what process start-up costs most on
	 * shadow-paged guests (docs/performance.md). One supervisor per process, one thread. */
	static char buf[65536];
	ssize_t n = read(st->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(st->fd);
		st->fd = -1;
		return;
	}
	st->total += (uint64_t)n;
	uint64_t room = s->c->output_limit > st->kept ? s->c->output_limit - st->kept : 0;
	size_t keep = (uint64_t)n < room ? (size_t)n : (size_t)room;
	if (keep > 0 && st->out >= 0)
		(void)util_write_all(st->out, buf, keep);
	st->kept += keep;
	if (st->total > s->c->output_limit) {
		s->obs.output_limit_hit = true;
		kill_sandbox(s);
	}
}

/* Is there nothing left to wait for? Prepare phase: init is ready (or gone). Program phase:
 * its status is known and both streams and the socket are at EOF. The status is known either
 * from init's reap or, earlier, from init's report once the seccomp listener has hung up:
 * the hang-up means every process under the filter has been reaped, so no other process can
 * still write, fork or attempt a denied call. Not waiting for init's exit keeps the pid, mount
 * and net namespace teardown (the larger part of a short run's end) off the result's path. */
static bool
supervise_done(const struct supervisor *s)
{
	if (s->until_ready)
		return s->ready || s->exited || s->obs.setup_failed;
	bool over =
		s->exited || (s->got_status && !s->killed && (s->listener_hup || s->listener < 0));
	return over && s->out[0].fd < 0 && s->out[1].fd < 0 && (s->sock < 0 || s->got_status);
}

static int
supervise(struct supervisor *s)
{
	const struct run_config *c = s->c;
	uint64_t cpu_limit_ns = c->cpu_time_ms * 1000000ULL;

	for (;;) {
		struct pollfd p[6];
		int n = 0, i_sock = -1, i_pid = -1, i_lis = -1, i_out[2] = {-1, -1}, i_cancel = -1;

		if (supervise_done(s))
			return 0;
		if (!s->until_ready && c->cancel_fd >= 0 && !s->killed && !s->exited &&
		    !s->got_status) {
			i_cancel = n;
			p[n++] = (struct pollfd){.fd = c->cancel_fd, .events = POLLIN};
		}
		if (s->sock >= 0) {
			i_sock = n;
			p[n++] = (struct pollfd){.fd = s->sock, .events = POLLIN};
		}
		if (!s->exited) {
			i_pid = n;
			p[n++] = (struct pollfd){.fd = s->pidfd, .events = POLLIN};
		}
		if (s->listener >= 0 && !s->listener_hup && !s->exited) {
			i_lis = n;
			p[n++] = (struct pollfd){.fd = s->listener, .events = POLLIN};
		}
		for (int k = 0; k < 2; k++)
			if (s->out[k].fd >= 0) {
				i_out[k] = n;
				p[n++] = (struct pollfd){.fd = s->out[k].fd, .events = POLLIN};
			}

		uint64_t now = util_now_ns();
		int timeout = -1;
		if (!s->exited && !s->killed) {
			if (now >= s->deadline_ns) {
				if (s->until_ready) {
					s->obs.setup_failed = true;
					snprintf(s->setup_error, sizeof(s->setup_error),
						 "sandbox setup timed out");
				} else
					s->obs.wall_limit_hit = true;
				kill_sandbox(s);
				continue;
			}
			uint64_t left_ms = (s->deadline_ns - now) / 1000000ULL + 1;
			timeout = left_ms > INT_MAX ? INT_MAX : (int)left_ms;
			if (s->listener >= 0 && !s->got_status) {
				/* CPU is polled from the cgroup: sleep no longer than half the CPU time
				 * left could take on every core, and at most 50 ms. */
				uint64_t usage;
				if (cgroup_cpu_usage(s->cg, &usage) == 0) {
					uint64_t used = usage - s->cpu_base_ns;
					if (used >= cpu_limit_ns) {
						s->obs.cpu_limit_hit = true;
						kill_sandbox(s);
						continue;
					}
					uint64_t left = (cpu_limit_ns - used) / 1000000ULL / 4 + 1;
					if (left > 50)
						left = 50;
					if ((int)left < timeout)
						timeout = (int)left;
				}
			}
		} else if (s->killed && !s->exited) {
			timeout = 1000; /* the kill is in flight */
		}

		int k = poll(p, (nfds_t)n, timeout);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (i_cancel >= 0 && p[i_cancel].revents) {
			s->obs.setup_failed = true;
			snprintf(s->setup_error, sizeof(s->setup_error),
				 "cancelled: the caller went away");
			kill_sandbox(s);
		}
		if (i_lis >= 0 && (p[i_lis].revents & POLLIN))
			handle_notification(s);
		/* Every process under the filter is gone: no notification can come any more, and a
		 * hung-up fd would make poll() return at once, spinning until init is reaped. */
		else if (i_lis >= 0 && (p[i_lis].revents & (POLLHUP | POLLERR)))
			s->listener_hup = true;
		if (i_sock >= 0 && p[i_sock].revents)
			handle_msg(s);
		for (int j = 0; j < 2; j++)
			if (i_out[j] >= 0 && p[i_out[j]].revents)
				handle_stream(s, &s->out[j]);
		if (i_pid >= 0 && (p[i_pid].revents & POLLIN)) {
			siginfo_t si = {0};
			if (waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &si, WEXITED) == 0) {
				s->exited = true;
				/* Drain what the socket still holds (the status message). */
				if (s->sock >= 0)
					handle_msg(s);
				if (!s->got_status && !s->until_ready) {
					MARK(s->r, RUN_STEP_EXITED);
					s->r->wall_time_ms =
						(util_now_ns() - s->start_ns) / 1000000ULL;
				}
			}
		}
	}
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* @cgroup_fd >= 0 (cgroup v2): the child is born in its cgroup, no migration needed. */
static pid_t
clone3_sandbox(int *ret_pidfd, int cgroup_fd, bool new_net)
{
	struct clone_args ca = {
		.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD |
			 (new_net ? CLONE_NEWNET : 0),
		.pidfd = (uint64_t)(uintptr_t)ret_pidfd,
		.exit_signal = SIGCHLD,
	};
	if (cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup_fd;
	}
	/* Trap 3: clone3, not clone(), so flags and the exit signal are what we asked. */
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

static void
fail(struct run_result *r, const char *what, int err)
{
	r->status = RUN_XX;
	snprintf(r->message, sizeof(r->message), "%.180s: %s", what,
		 strerror(err < 0 ? -err : err));
}

#define SETUP_TIMEOUT_MS 30000 /* building a box takes milliseconds; this is a hung kernel */

unsigned
run_cpu_weight_of(pid_t pid, int *ret_nice)
{
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)pid); /* -1 is a valid niceness: errno tells */
	if (errno != 0)
		nice = 0;
	if (ret_nice)
		*ret_nice = nice;
	return nice ? cgroup_weight_for_nice(nice) : 0;
}

pid_t
run_box_init_pid(const struct run_box *b)
{
	return b->s.init_pid;
}

int
run_netns_create(int *ret_fd)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r = fd < 0 ? -errno : ns_loopback_up();
	if (setns(self, CLONE_NEWNET) < 0)
		r = -errno; /* cannot happen as root; the caller should give up */
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int
run_box_destroy(struct run_box *b)
{
	int r = 0;

	if (!b)
		return 0;
	struct supervisor *s = &b->s;
	if (s->pidfd >= 0 && !s->exited) {
		kill_sandbox(s);
		siginfo_t si;
		(void)waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &si, WEXITED);
	}
	if (b->cg)
		r = cgroup_destroy(b->cg);
	for (int k = 0; k < 2; k++)
		if (s->out[k].fd >= 0)
			close(s->out[k].fd);
	if (s->sock >= 0)
		close(s->sock);
	if (s->listener >= 0)
		close(s->listener);
	if (s->upper_fd >= 0)
		close(s->upper_fd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (b->devnull >= 0)
		close(b->devnull);
	if (b->slot_fd >= 0)
		close(b->slot_fd);
	free(b);
	return r;
}

int
run_box_prepare(const struct run_config *c, struct run_box **ret, struct run_result *r)
{
	const char *state_dir, *cg_root;
	char base[PATH_MAX], staging[PATH_MAX], err[256];
	int sv[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
	enum cgroup_version ver;
	unsigned slot = 0;
	int rr;

	if (!c || !ret || !r)
		return -EINVAL;
	*ret = NULL;
	*r = (struct run_result){.status = RUN_XX};
	MARK(r, RUN_STEP_START);
	state_dir = c->state_dir ? c->state_dir : DEFAULT_STATE_DIR;
	cg_root = c->cgroup_root ? c->cgroup_root : DEFAULT_CGROUP_ROOT;

	const char *image = c->image;
	if (!image) {
		rr = image_ensure_base(state_dir, base, sizeof(base));
		if (rr < 0) {
			fail(r, "cannot prepare the base image", rr);
			return 0;
		}
		image = base;
	}
	if (mount_check_layer_path(image) < 0) {
		snprintf(r->message, sizeof(r->message),
			 "image path must be absolute without ',' or ':': %.180s", image);
		return 0;
	}
	for (const char *const *l = c->layers; l && *l; l++)
		if (mount_check_layer_path(*l) < 0) {
			snprintf(r->message, sizeof(r->message),
				 "layer path must be absolute without ',' or ':': %s", *l);
			return 0;
		}
	if (c->workdir && mount_check_layer_path(c->workdir) < 0) {
		snprintf(r->message, sizeof(r->message),
			 "workdir must be an absolute path without ',' or ':': %s", c->workdir);
		return 0;
	}

	rr = cgroup_detect(cg_root, &ver);
	if (rr < 0) {
		fail(r, "no usable cgroup file system", rr);
		return 0;
	}
	if (cgroup_check(cg_root, ver, err, sizeof(err)) < 0) {
		snprintf(r->message, sizeof(r->message), "refusing to run without limits: %.200s",
			 err);
		return 0;
	}

	struct run_box *b = calloc(1, sizeof(*b));
	if (!b) {
		fail(r, "cannot allocate the sandbox", -ENOMEM);
		return 0;
	}
	b->slot_fd = b->devnull = -1;
	b->disk_bytes = c->disk_bytes;
	struct supervisor *s = &b->s;
	*s = (struct supervisor){.c = c,
				 .r = r,
				 .pidfd = -1,
				 .sock = -1,
				 .listener = -1,
				 .upper_fd = -1,
				 .until_ready = true,
				 .out = {{.fd = -1, .out = -1}, {.fd = -1, .out = -1}}};

	if (c->slot)
		slot = c->slot->slot;
	else {
		rr = ns_slot_acquire(state_dir, &slot, &b->slot_fd);
		if (rr < 0) {
			fail(r, "no free sandbox slot", rr);
			goto fail;
		}
	}
	s->slot = slot;
	r->host_uid_base = ns_host_uid(slot, 0);
	snprintf(staging, sizeof(staging), "%s/mnt", state_dir);
	if ((rr = util_mkdir_p(staging, 0700)) < 0) {
		fail(r, "cannot create the staging directory", rr);
		goto fail;
	}
	if (c->workdir) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/upper", c->workdir);
		if ((rr = util_mkdir_p(p, 0755)) < 0) {
			fail(r, "cannot create the writable layer in the workdir", rr);
			goto fail;
		}
	}

	char name[32];
	snprintf(name, sizeof(name), "box-%u", slot);
	b->lim = (struct cgroup_limits){
		.memory_bytes = c->memory_bytes, .pids_max = c->pids, .cpu_weight = c->cpu_weight};
	MARK(r, RUN_STEP_PREPARED);
	rr = cgroup_create(cg_root, name, &b->lim, &b->cg, err, sizeof(err));
	if (rr < 0) {
		snprintf(r->message, sizeof(r->message), "cannot create the cgroup: %.200s", err);
		goto fail;
	}
	s->cg = b->cg;

	struct mount_plan plan = {
		.staging = staging,
		.image = image,
		.bind_host_usr = !c->image,
		.layers = c->layers,
		.workdir = c->workdir,
		.disk_bytes = c->disk_bytes,
		.inodes = c->disk_bytes / 4096 < 1024 ? 1024 : c->disk_bytes / 4096,
		.binds = (const struct mount_bind *)c->binds,
		.n_binds = c->n_binds,
		.box_uid = ns_host_uid(slot, NS_BOX_UID),
		.box_gid = ns_host_uid(slot, NS_BOX_UID),
	};
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		fail(r, "cannot create pipes", -errno);
		goto fail_fds;
	}
	b->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (b->devnull < 0) {
		fail(r, "cannot open /dev/null", -errno);
		goto fail_fds;
	}
	struct child_args a = {
		.plan = &plan,
		.sock = sv[1],
		.netns_fd = c->netns_fd,
		.devnull = b->devnull,
		.stdout_w = po[1],
		.stderr_w = pe[1],
	};

	MARK(r, RUN_STEP_CGROUP);
	s->start_ns = util_now_ns();
	s->deadline_ns = s->start_ns + SETUP_TIMEOUT_MS * 1000000ULL;
	int cg_fd = cgroup_dirfd(b->cg);
	pid_t pid = clone3_sandbox(&s->pidfd, cg_fd, c->netns_fd < 0);
	if (pid < 0) {
		fail(r, "cannot create the sandbox namespaces", -errno);
		goto fail_fds;
	}
	if (pid == 0) {
		close(sv[0]);
		close(po[0]);
		close(pe[0]);
		init_main(&a);
	}
	s->init_pid = pid;
	close(sv[1]);
	close(po[1]);
	close(pe[1]);
	s->sock = TAKE_FD(sv[0]);
	s->out[0].fd = TAKE_FD(po[0]);
	s->out[1].fd = TAKE_FD(pe[0]);

	MARK(r, RUN_STEP_CLONED);
	rr = cg_fd >= 0 ? 0 : cgroup_attach(b->cg, pid);
	MARK(r, RUN_STEP_ATTACHED);
	if (rr < 0) {
		s->obs.setup_failed = true;
		snprintf(s->setup_error, sizeof(s->setup_error), "cannot join the cgroup: %s",
			 strerror(-rr));
		kill_sandbox(s);
	} else
		(void)!write(s->sock, "G", 1);

	rr = supervise(s);
	if (rr < 0) {
		fail(r, "supervisor poll failed", rr);
		goto fail;
	}
	if (!s->ready || s->obs.setup_failed) {
		snprintf(r->message, sizeof(r->message), "%s",
			 s->setup_error[0] ? s->setup_error
					   : "sandbox init exited before it was ready");
		goto fail;
	}
	MARK(r, RUN_STEP_READY);
	s->until_ready = false;
	s->c = NULL;
	s->r = &b->prep;
	b->prep = *r;
	*ret = b;
	return 0;

fail_fds:
	for (int k = 0; k < 2; k++) {
		if (sv[k] >= 0)
			close(sv[k]);
		if (po[k] >= 0)
			close(po[k]);
		if (pe[k] >= 0)
			close(pe[k]);
	}
fail:
	r->status = RUN_XX;
	rr = run_box_destroy(b);
	if (rr < 0)
		fail(r, "cannot remove the sandbox cgroup after a failed setup", rr);
	return 0;
}

/* Hands the program to init: the request as a memfd, and stdin if the caller has one. */
static int
send_request(struct run_box *b, const struct run_config *c, const struct policy_bpf *bpf)
{
	_cleanup_close_ int fd = -1;
	int r = run_request_pack(c, bpf, &fd);
	if (r < 0)
		return r;
	int fds[2] = {fd, c->stdin_fd};
	return send_fds(b->s.sock, MSG_EXEC, fds, c->stdin_fd >= 0 ? 2 : 1);
}

static void
describe_result(const struct run_config *c, const struct supervisor *s, struct run_result *r)
{
	switch (r->status) {
	case RUN_XX:
		snprintf(r->message, sizeof(r->message), "%s",
			 s->setup_error[0] ? s->setup_error : "internal error");
		break;
	case RUN_SV:
		snprintf(r->message, sizeof(r->message), "security violation: syscall %s denied",
			 r->denied_syscall);
		break;
	case RUN_OL:
		snprintf(r->message, sizeof(r->message),
			 "output limit of %" PRIu64 " bytes exceeded", c->output_limit);
		break;
	case RUN_ML:
		snprintf(r->message, sizeof(r->message),
			 "memory limit of %" PRIu64 " bytes exceeded (OOM kill)", c->memory_bytes);
		break;
	case RUN_TO:
		snprintf(r->message, sizeof(r->message),
			 "CPU time limit of %" PRIu64 " ms exceeded", c->cpu_time_ms);
		break;
	case RUN_WT:
		snprintf(r->message, sizeof(r->message),
			 "wall time limit of %" PRIu64 " ms exceeded", c->wall_time_ms);
		break;
	case RUN_SG:
		if (!r->message[0])
			snprintf(r->message, sizeof(r->message), "killed by signal %d (%s)",
				 r->signal, strsignal(r->signal));
		break;
	case RUN_RE:
		if (!r->message[0])
			snprintf(r->message, sizeof(r->message), "exited with code %d",
				 r->exit_code);
		break;
	case RUN_OK:
		snprintf(r->message, sizeof(r->message), "exited normally");
		break;
	case _RUN_STATUS_MAX:
	case _RUN_STATUS_INVALID:
		break;
	}
}

/* The sandbox's own last steps run under the filter (trap 8): without sendmsg and execve a
 * run would hang until its wall limit instead of failing clearly. */
static int
compile_policy(const struct run_config *c, struct policy_bpf *own, const struct policy_bpf **ret,
	       struct run_result *r)
{
	if (c->bpf) {
		*ret = c->bpf;
		return 0;
	}
	if (!policy_allows(c->policy, "sendmsg") || !policy_allows(c->policy, "execve")) {
		snprintf(r->message, sizeof(r->message),
			 "policy '%s' must allow sendmsg and execve (the sandbox hands over "
			 "its seccomp listener, then execs the program)",
			 policy_name(c->policy));
		return -EPERM;
	}
	int rr = policy_compile_bpf(c->policy, own);
	if (rr < 0) {
		fail(r, "cannot compile the seccomp policy", rr);
		return rr;
	}
	*ret = own;
	return 0;
}

int
run_box_exec(struct run_box *b, const struct run_config *c, struct run_result *r)
{
	struct policy_bpf own_bpf = {0};
	const struct policy_bpf *bpf = NULL;
	char err[256];
	int rr;

	if (!b || !c || !r || !c->argv || !c->argv[0] || (!c->policy && !c->bpf))
		return -EINVAL;
	if (b->used || !b->s.ready)
		return -EBUSY;
	if (c->disk_bytes != b->disk_bytes)
		return -EXDEV;
	b->used = true;
	struct supervisor *s = &b->s;
	*r = (struct run_result){.status = RUN_XX, .host_uid_base = b->prep.host_uid_base};
	MARK(r, RUN_STEP_START);
	s->c = c;
	s->r = r;
	s->out[0].out = c->stdout_fd;
	s->out[1].out = c->stderr_fd;

	if (compile_policy(c, &own_bpf, &bpf, r) < 0)
		return 0; /* the box stays unused by any program; the caller destroys it */
	if (c->memory_bytes != b->lim.memory_bytes || c->pids != b->lim.pids_max ||
	    c->cpu_weight != b->lim.cpu_weight) {
		/* A weight of 0 (the default) on a box built with another one writes 100 back. */
		struct cgroup_limits lim = {.memory_bytes = c->memory_bytes,
					    .pids_max = c->pids,
					    .cpu_weight = c->cpu_weight ? c->cpu_weight : 100};
		rr = cgroup_set_limits(b->cg, &lim, err, sizeof(err));
		if (rr < 0) {
			snprintf(r->message, sizeof(r->message), "cannot set the limits: %.200s",
				 err);
			policy_bpf_clear(&own_bpf);
			return 0;
		}
		b->lim = lim;
	}
	s->start_ns = util_now_ns();
	s->deadline_ns = s->start_ns + c->wall_time_ms * 1000000ULL;
	rr = send_request(b, c, bpf);
	policy_bpf_clear(&own_bpf);
	if (rr < 0) {
		fail(r, "cannot hand the program to the sandbox", rr);
		return 0;
	}

	rr = supervise(s);
	MARK(r, RUN_STEP_DRAINED);
	if (rr < 0) {
		kill_sandbox(s);
		fail(r, "supervisor poll failed", rr);
		return 0;
	}

	struct cgroup_stats st = {0};
	if (cgroup_stats(b->cg, &st) == 0) {
		uint64_t used =
			st.cpu_usage_ns > s->cpu_base_ns ? st.cpu_usage_ns - s->cpu_base_ns : 0;
		r->cpu_time_ms = used / 1000000ULL;
		r->memory_peak_kb = st.memory_peak_bytes / 1024;
		s->obs.oom_kills = st.oom_kills;
		r->pids_limit_hits = st.pids_max_hits;
	}
	if (!s->got_status && !s->obs.setup_failed && !s->killed && s->listener < 0) {
		/* Init died before starting the program and said nothing. */
		s->obs.setup_failed = true;
		snprintf(s->setup_error, sizeof(s->setup_error),
			 "sandbox init exited unexpectedly");
	}
	if (s->killed && !s->got_status) {
		/* Our SIGKILL took init down before it could report: the program was killed. */
		s->obs.signaled = true;
		s->obs.signal = SIGKILL;
	}
	r->output_bytes = s->out[0].total + s->out[1].total;
	r->output_truncated = s->obs.output_limit_hit;
	r->exit_code = s->obs.exited ? s->obs.exit_code : -1;
	r->signal = s->obs.signaled ? s->obs.signal : 0;
	r->status = run_classify(&s->obs);
	describe_result(c, s, r);
	/* The caller's result and config may go away before the box is destroyed. */
	s->c = NULL;
	s->r = &b->prep;
	s->out[0].out = s->out[1].out = -1;
	return 0;
}

int
run_sandbox(const struct run_config *c, struct run_result *r)
{
	struct policy_bpf own_bpf = {0};
	const struct policy_bpf *bpf = NULL;
	struct run_box *b = NULL;
	uint64_t steps[_RUN_STEP_MAX];

	if (!c || !r || !c->argv || !c->argv[0] || (!c->policy && !c->bpf))
		return -EINVAL;
	/* A policy that cannot work is refused before anything is built. */
	*r = (struct run_result){.status = RUN_XX};
	if (compile_policy(c, &own_bpf, &bpf, r) < 0)
		return 0;
	struct run_config cc = *c;
	cc.bpf = bpf;

	int rr = run_box_prepare(&cc, &b, r);
	if (rr < 0 || !b) {
		policy_bpf_clear(&own_bpf);
		return rr;
	}
	memcpy(steps, r->step_ns, sizeof(steps));
	rr = run_box_exec(b, &cc, r);
	policy_bpf_clear(&own_bpf);
	/* One run, one timeline: the prepare steps, then the program's. */
	for (int i = RUN_STEP_START; i <= RUN_STEP_READY; i++)
		r->step_ns[i] = steps[i];
	int d = run_box_destroy(b);
	MARK(r, RUN_STEP_CLEANED);
	if (rr < 0)
		return rr;
	if (d < 0 && r->status != RUN_XX)
		/* Something survived the kill: say so rather than pretend all is well. */
		fail(r, "cannot remove the sandbox cgroup", d);
	return 0;
}

int
run_slot_acquire(const char *state_dir, struct run_slot **ret)
{
	struct run_slot *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int r = ns_slot_acquire(state_dir ? state_dir : DEFAULT_STATE_DIR, &s->slot, &s->lock_fd);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct run_slot *
run_slot_release(struct run_slot *s)
{
	if (s) {
		close(s->lock_fd);
		free(s);
	}
	return NULL;
}

int
run_scratch_enter(const char *path, uint64_t size, uint64_t inodes)
{
	char opts[96];
	int r;

	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	/* Private first: the tmpfs must not appear in the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	r = util_mkdir_p(path, 0700);
	if (r < 0)
		return r;
	snprintf(opts, sizeof(opts), "size=%llu,nr_inodes=%llu,mode=0700", (unsigned long long)size,
		 (unsigned long long)inodes);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return -errno;
	return 0;
}

struct stale_ctx {
	const char *state_dir;
	int fds[NS_MAX_SLOTS];
	size_t n;
};

static bool
slot_stale(const char *name, void *userdata)
{
	struct stale_ctx *x = userdata;
	unsigned slot;
	uint64_t v;

	if (strncmp(name, "box-", 4) != 0 || util_parse_u64(name + 4, &v) < 0 || v >= NS_MAX_SLOTS)
		return false;
	slot = (unsigned)v;
	/* Hold the slot while its leftovers are removed, so a new run cannot take it and have
	 * its fresh cgroup removed under it. */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/slots/%u.lock", x->state_dir, slot);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return false;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0 || x->n >= ELEMENTSOF(x->fds)) {
		close(fd);
		return false;
	}
	x->fds[x->n++] = fd;
	return true;
}

int
run_cleanup_stale(const char *state_dir, const char *cgroup_root)
{
	struct stale_ctx x = {.state_dir = state_dir ? state_dir : DEFAULT_STATE_DIR};
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/slots", x.state_dir);
	int r = util_mkdir_p(path, 0700);
	if (r < 0)
		return r;
	r = cgroup_cleanup_stale(cgroup_root ? cgroup_root : DEFAULT_CGROUP_ROOT, slot_stale, &x);
	for (size_t i = 0; i < x.n; i++)
		close(x.fds[i]);
	return r;
}
