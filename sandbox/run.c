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

static const char *const status_names[_RUN_STATUS_MAX] = {
	[RUN_OK] = "OK", [RUN_RE] = "RE", [RUN_SG] = "SG", [RUN_TO] = "TO", [RUN_WT] = "WT",
	[RUN_ML] = "ML", [RUN_OL] = "OL", [RUN_SV] = "SV", [RUN_XX] = "XX",
};

const char *
run_status_to_string(enum run_status s)
{
	if (s < 0 || s >= _RUN_STATUS_MAX)
		return NULL;
	return status_names[s];
}

static const char *const step_names[_RUN_STEP_MAX] = {
	[RUN_STEP_START] = "start",	  [RUN_STEP_PREPARED] = "prepared",
	[RUN_STEP_CGROUP] = "cgroup",	  [RUN_STEP_CLONED] = "cloned",
	[RUN_STEP_ATTACHED] = "attached", [RUN_STEP_ROOT] = "root-built",
	[RUN_STEP_EXEC] = "exec",	  [RUN_STEP_EXITED] = "exited",
	[RUN_STEP_DRAINED] = "drained",	  [RUN_STEP_CLEANED] = "cleaned",
};

const char *
run_step_to_string(enum run_step s)
{
	return s < _RUN_STEP_MAX ? step_names[s] : NULL;
}

#define MARK(r, step) ((r)->step_ns[step] = util_now_ns())

enum run_status
run_status_from_string(const char *s)
{
	for (int i = 0; i < _RUN_STATUS_MAX; i++)
		if (s && strcmp(s, status_names[i]) == 0)
			return (enum run_status)i;
	return _RUN_STATUS_INVALID;
}

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

void
run_config_init(struct run_config *c)
{
	*c = (struct run_config){
		.memory_bytes = 256ULL << 20,
		.cpu_time_ms = 2000,
		.wall_time_ms = 5000,
		.pids = 64,
		.output_limit = 16ULL << 20,
		.file_size = 64ULL << 20,
		.disk_bytes = 64ULL << 20,
		.open_files = 64,
		.stdin_fd = -1,
		.stdout_fd = -1,
		.stderr_fd = -1,
	};
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

static int
send_fd(int sock, enum msg_type type, int fd)
{
	struct msg m = {.type = type};
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = {0};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Receives one message; *ret_fd gets a passed fd or -1. Returns 1, 0 on EOF, or -errno. */
static int
recv_msg(int sock, struct msg *m, int *ret_fd)
{
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	*ret_fd = -1;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	if (n == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	if ((size_t)n != sizeof(*m)) {
		if (*ret_fd >= 0)
			close(*ret_fd);
		*ret_fd = -1;
		return -EBADMSG;
	}
	return 1;
}

/* ---- the sandbox side ---- */

struct child_args {
	const struct run_config *c;
	const struct mount_plan *plan;
	const struct policy_bpf *bpf; /* borrowed: the compiled filter */
	int sock;
	int stdin_fd, stdout_w, stderr_w;
	char *const *envp;
	pid_t supervisor;
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
program_exec(const struct child_args *a)
{
	const struct run_config *c = a->c;
	int r;

	/* A new session: no controlling terminal to push input into (TIOCSTI). */
	(void)setsid();
	if (dup2(a->stdin_fd, 0) < 0 || dup2(a->stdout_w, 1) < 0 || dup2(a->stderr_w, 2) < 0)
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
	struct sock_fprog prog = {.len = (unsigned short)a->bpf->len, .filter = a->bpf->insns};
	int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (listener < 0)
		child_fail(a->sock, "load the seccomp filter", -errno);
	r = send_fd(a->sock, MSG_LISTENER, listener);
	if (r < 0)
		_exit(SETUP_EXIT);
	(void)close(listener);

	/* execvpe: PATH is searched inside the sandbox's own root. */
	execvpe(c->argv[0], c->argv, a->envp);
	send_msg(a->sock, MSG_EXEC_FAILED, errno, 0, c->argv[0]);
	_exit(127);
}

static char **
strv_copy(char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	char **c = calloc(n + 1, sizeof(*c));
	for (size_t i = 0; c && i < n; i++)
		if (!(c[i] = strdup(v[i])))
			return NULL;
	return c;
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
	int upper_fd = -1;
	r = mount_build_root_upper(a->plan, &step, &upper_fd);
	if (r < 0)
		child_fail(a->sock, step, r);
	if (upper_fd >= 0) {
		(void)send_fd(a->sock, MSG_UPPER, upper_fd);
		(void)close(upper_fd);
	}
	/* The program's argv, env and cwd may point into that very memory (they came from our
	 * command line): copy them first. */
	struct child_args copy = *a;
	struct run_config cc = *a->c;
	cc.argv = strv_copy(a->c->argv);
	copy.envp = strv_copy(a->envp);
	cc.cwd = a->c->cwd ? strdup(a->c->cwd) : NULL;
	copy.c = &cc;
	a = &copy;
	if (!cc.argv || !copy.envp)
		child_fail(a->sock, "copy argv", -ENOMEM);
	wipe_cmdline();
	if (sethostname("gradebox", 8) < 0 || setdomainname("gradebox", 8) < 0)
		child_fail(a->sock, "sethostname", -errno);
	r = ns_loopback_up();
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

	pid_t pid = fork();
	if (pid < 0)
		child_fail(a->sock, "fork the program", -errno);
	if (pid == 0)
		program_exec(a);
	program_pid = pid;
	(void)close(a->stdout_w);
	(void)close(a->stderr_w);
	(void)close(a->stdin_fd);

	/* pid 1: reap everything; report the program's own status. When init exits the kernel
	 * kills every other process of the namespace, so no grandchild survives the run. */
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			_exit(SETUP_EXIT);
		if (w == pid) {
			send_msg(a->sock, MSG_STATUS, 0, st, NULL);
			_exit(0);
		}
	}
}

/* ---- the supervisor side ---- */

struct stream {
	int fd;		/* owned; read end of the pipe, -1 at EOF */
	int out;	/* borrowed; where the bytes go, -1 to discard */
	uint64_t total; /* bytes produced */
	uint64_t kept;	/* bytes written to out */
};

struct supervisor {
	const struct run_config *c;
	struct run_result *r;
	struct run_observation obs;
	struct cgroup *cg; /* borrowed */
	int pidfd;
	int sock;
	int listener;
	int upper_fd;	   /* owned: the writable layer's upper directory, for snapshots */
	bool listener_hup; /* the filter has no users left */
	pid_t init_pid;
	unsigned slot;
	bool exited; /* init was reaped */
	bool killed;
	bool got_status;
	uint64_t cpu_base_ns; /* cgroup CPU at exec time: setup is not the student's */
	uint64_t start_ns;
	struct stream out[2];
	char setup_error[160];
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
	if (s->r->frozen)
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
		s->r->frozen = true;
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
	int fd = -1;

	for (;;) {
		int r = recv_msg(s->sock, &m, &fd);
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
		case MSG_LISTENER:
			MARK(s->r, RUN_STEP_EXEC);
			if (fd >= 0 && s->listener < 0) {
				s->listener = TAKE_FD(fd);
				struct cgroup_stats st;
				if (cgroup_stats(s->cg, &st) == 0)
					s->cpu_base_ns = st.cpu_usage_ns;
			}
			break;
		case MSG_STATUS:
			s->got_status = true;
			if (WIFEXITED(m.status)) {
				s->obs.exited = true;
				s->obs.exit_code = WEXITSTATUS(m.status);
			} else if (WIFSIGNALED(m.status)) {
				s->obs.signaled = true;
				s->obs.signal = WTERMSIG(m.status);
			}
			break;
		case MSG_UPPER:
			if (fd >= 0 && s->upper_fd < 0)
				s->upper_fd = TAKE_FD(fd);
			break;
		case MSG_EXEC_FAILED:
			m.text[sizeof(m.text) - 1] = 0;
			snprintf(s->r->message, sizeof(s->r->message), "cannot execute '%s': %s",
				 m.text, strerror(m.err));
			break;
		}
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
}

static void
handle_stream(struct supervisor *s, struct stream *st)
{
	char buf[65536];
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

static int
supervise(struct supervisor *s)
{
	const struct run_config *c = s->c;
	uint64_t deadline = s->start_ns + c->wall_time_ms * 1000000ULL;
	uint64_t cpu_limit_ns = c->cpu_time_ms * 1000000ULL;

	for (;;) {
		struct pollfd p[5];
		int n = 0, i_sock = -1, i_pid = -1, i_lis = -1, i_out[2] = {-1, -1};

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
		/* Done when init is reaped and both streams and the socket reached EOF. Init's exit
		 * killed every writer, so EOF follows promptly. */
		if (s->exited && s->out[0].fd < 0 && s->out[1].fd < 0 && s->sock < 0)
			return 0;

		uint64_t now = util_now_ns();
		int timeout = -1;
		if (!s->exited && !s->killed) {
			if (now >= deadline) {
				s->obs.wall_limit_hit = true;
				kill_sandbox(s);
				continue;
			}
			uint64_t left_ms = (deadline - now) / 1000000ULL + 1;
			timeout = left_ms > INT_MAX ? INT_MAX : (int)left_ms;
			if (s->listener >= 0) {
				/* CPU is polled from the cgroup: sleep no longer than half the CPU time
				 * left could take on every core, and at most 50 ms. */
				struct cgroup_stats st;
				if (cgroup_stats(s->cg, &st) == 0) {
					uint64_t used = st.cpu_usage_ns - s->cpu_base_ns;
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
				MARK(s->r, RUN_STEP_EXITED);
				s->r->wall_time_ms = (util_now_ns() - s->start_ns) / 1000000ULL;
				/* Drain what the socket still holds (the status message). */
				if (s->sock >= 0)
					handle_msg(s);
			}
		}
	}
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* @cgroup_fd >= 0 (cgroup v2): the child is born in its cgroup, no migration needed. */
static pid_t
clone3_sandbox(int *ret_pidfd, int cgroup_fd)
{
	struct clone_args ca = {
		.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET |
			 CLONE_PIDFD,
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

int
run_sandbox(const struct run_config *c, struct run_result *r)
{
	const char *state_dir = c->state_dir ? c->state_dir : DEFAULT_STATE_DIR;
	const char *cg_root = c->cgroup_root ? c->cgroup_root : DEFAULT_CGROUP_ROOT;
	char base[PATH_MAX], staging[PATH_MAX], err[256];
	_cleanup_close_ int slot_fd = -1, devnull = -1;
	int sv[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
	struct policy_bpf own_bpf = {0};
	const struct policy_bpf *bpf = c->bpf;
	struct cgroup *cg = NULL;
	enum cgroup_version ver;
	unsigned slot = 0;
	int rr;

	if (!c || !r || !c->argv || !c->argv[0] || (!c->policy && !c->bpf))
		return -EINVAL;
	*r = (struct run_result){.status = RUN_XX};
	MARK(r, RUN_STEP_START);
	struct supervisor s = {
		.c = c,
		.r = r,
		.pidfd = -1,
		.sock = -1,
		.listener = -1,
		.upper_fd = -1,
		.out = {{.fd = -1, .out = c->stdout_fd}, {.fd = -1, .out = c->stderr_fd}}};

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
	if (c->slot)
		slot = c->slot->slot;
	else {
		rr = ns_slot_acquire(state_dir, &slot, &slot_fd);
		if (rr < 0) {
			fail(r, "no free sandbox slot", rr);
			return 0;
		}
	}
	s.slot = slot;
	r->host_uid_base = ns_host_uid(slot, 0);
	snprintf(staging, sizeof(staging), "%s/mnt", state_dir);
	if ((rr = util_mkdir_p(staging, 0700)) < 0) {
		fail(r, "cannot create the staging directory", rr);
		return 0;
	}
	if (c->workdir) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/upper", c->workdir);
		if ((rr = util_mkdir_p(p, 0755)) < 0) {
			fail(r, "cannot create the writable layer in the workdir", rr);
			return 0;
		}
	}

	if (!bpf) {
		/* The sandbox's own last steps run under the filter (trap 8): without these two a
		 * run would hang until its wall limit instead of failing clearly. */
		if (!policy_allows(c->policy, "sendmsg") || !policy_allows(c->policy, "execve")) {
			snprintf(
				r->message, sizeof(r->message),
				"policy '%s' must allow sendmsg and execve (the sandbox hands over "
				"its seccomp listener, then execs the program)",
				policy_name(c->policy));
			return 0;
		}
		rr = policy_compile_bpf(c->policy, &own_bpf);
		if (rr < 0) {
			fail(r, "cannot compile the seccomp policy", rr);
			return 0;
		}
		bpf = &own_bpf;
	}

	char name[32];
	snprintf(name, sizeof(name), "box-%u", slot);
	struct cgroup_limits lim = {.memory_bytes = c->memory_bytes, .pids_max = c->pids};
	MARK(r, RUN_STEP_PREPARED);
	rr = cgroup_create(cg_root, name, &lim, &cg, err, sizeof(err));
	if (rr < 0) {
		snprintf(r->message, sizeof(r->message), "cannot create the cgroup: %.200s", err);
		goto out;
	}
	s.cg = cg;

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
		goto out;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		fail(r, "cannot open /dev/null", -errno);
		goto out;
	}
	struct child_args a = {
		.c = c,
		.plan = &plan,
		.bpf = bpf,
		.sock = sv[1],
		.stdin_fd = c->stdin_fd >= 0 ? c->stdin_fd : devnull,
		.stdout_w = po[1],
		.stderr_w = pe[1],
		.envp = c->envp ? c->envp : default_env,
	};

	MARK(r, RUN_STEP_CGROUP);
	s.start_ns = util_now_ns();
	int cg_fd = cgroup_dirfd(cg);
	pid_t pid = clone3_sandbox(&s.pidfd, cg_fd);
	if (pid < 0) {
		fail(r, "cannot create the sandbox namespaces", -errno);
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		close(po[0]);
		close(pe[0]);
		init_main(&a);
	}
	s.init_pid = pid;
	close(sv[1]);
	close(po[1]);
	close(pe[1]);
	sv[1] = po[1] = pe[1] = -1;
	s.sock = TAKE_FD(sv[0]);
	s.out[0].fd = TAKE_FD(po[0]);
	s.out[1].fd = TAKE_FD(pe[0]);

	MARK(r, RUN_STEP_CLONED);
	rr = cg_fd >= 0 ? 0 : cgroup_attach(cg, pid);
	MARK(r, RUN_STEP_ATTACHED);
	if (rr < 0) {
		s.obs.setup_failed = true;
		snprintf(s.setup_error, sizeof(s.setup_error), "cannot join the cgroup: %s",
			 strerror(-rr));
		kill_sandbox(&s);
	} else
		(void)!write(s.sock, "G", 1);

	rr = supervise(&s);
	MARK(r, RUN_STEP_DRAINED);
	if (rr < 0) {
		kill_sandbox(&s);
		fail(r, "supervisor poll failed", rr);
		goto out;
	}

	struct cgroup_stats st = {0};
	if (cgroup_stats(cg, &st) == 0) {
		uint64_t used =
			st.cpu_usage_ns > s.cpu_base_ns ? st.cpu_usage_ns - s.cpu_base_ns : 0;
		r->cpu_time_ms = used / 1000000ULL;
		r->memory_peak_kb = st.memory_peak_bytes / 1024;
		s.obs.oom_kills = st.oom_kills;
		r->pids_limit_hits = st.pids_max_hits;
	}
	if (!s.got_status && !s.obs.setup_failed && !s.killed && s.listener < 0) {
		/* Init died before starting the program and said nothing. */
		s.obs.setup_failed = true;
		snprintf(s.setup_error, sizeof(s.setup_error), "sandbox init exited unexpectedly");
	}
	if (s.killed && !s.got_status) {
		/* Our SIGKILL took init down before it could report: the program was killed. */
		s.obs.signaled = true;
		s.obs.signal = SIGKILL;
	}
	r->output_bytes = s.out[0].total + s.out[1].total;
	r->output_truncated = s.obs.output_limit_hit;
	r->exit_code = s.obs.exited ? s.obs.exit_code : -1;
	r->signal = s.obs.signaled ? s.obs.signal : 0;
	r->status = run_classify(&s.obs);
	switch (r->status) {
	case RUN_XX:
		snprintf(r->message, sizeof(r->message), "%s",
			 s.setup_error[0] ? s.setup_error : "internal error");
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

out:
	if (s.pidfd >= 0 && !s.exited) {
		kill_sandbox(&s);
		siginfo_t si;
		(void)waitid((idtype_t)P_PIDFD, (id_t)s.pidfd, &si, WEXITED);
	}
	if (cg) {
		rr = cgroup_destroy(cg);
		if (rr < 0 && r->status != RUN_XX) {
			/* Something survived the kill: say so rather than pretend all is well. */
			fail(r, "cannot remove the sandbox cgroup", rr);
		}
	}
	if (cg)
		MARK(r, RUN_STEP_CLEANED);
	for (int k = 0; k < 2; k++)
		if (s.out[k].fd >= 0)
			close(s.out[k].fd);
	if (s.sock >= 0)
		close(s.sock);
	if (s.listener >= 0)
		close(s.listener);
	if (s.upper_fd >= 0)
		close(s.upper_fd);
	if (s.pidfd >= 0)
		close(s.pidfd);
	for (int k = 0; k < 2; k++) {
		if (sv[k] >= 0)
			close(sv[k]);
		if (po[k] >= 0)
			close(po[k]);
		if (pe[k] >= 0)
			close(pe[k]);
	}
	policy_bpf_clear(&own_bpf);
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
