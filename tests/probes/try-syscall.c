/* SPDX-License-Identifier: MIT */
/* try-syscall NAME...: performs each named raw syscall with harmless but real arguments, so the
 * sandbox's seccomp policy (or the kernel's permission checks) must stop it. Prints
 * "TRY NAME" before the call (a seccomp kill happens inside it) and then one RESULT line.
 * `try-syscall list` prints the known names. Refuses to run as host root. */
#include "probe.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define X32_SYSCALL_BIT 0x40000000
#define I386_NR_GETPID	20
#define REPORTED	(-2L) /* the attempt printed its own RESULT line */

/* Each attempt returns the raw syscall result (>= 0 success, -1 with errno set). */
struct attempt {
	const char *name;
	long (*fn)(void);
	const char *what; /* the arguments, for the RESULT line */
};

static long
do_getpid(void)
{
	return syscall(SYS_getpid);
}

static long
do_ptrace(void)
{
	/* Makes the parent (the sandbox init) our tracer: harmless, but real. */
	return syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
}

static long
do_ptrace_attach(void)
{
	long r = syscall(SYS_ptrace, PTRACE_ATTACH, 1, NULL, NULL);
	if (r == 0)
		(void)syscall(SYS_ptrace, PTRACE_DETACH, 1, NULL, NULL);
	return r;
}

static long
do_mount(void)
{
	return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0UL, "size=1m");
}

static long
do_umount2(void)
{
	return syscall(SYS_umount2, "/tmp", MNT_DETACH);
}

static long
do_keyctl(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

static long
do_add_key(void)
{
	return syscall(SYS_add_key, "user", "gradebox-probe", "x", 1UL, KEY_SPEC_PROCESS_KEYRING);
}

static long
do_bpf(void)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

static long
do_io_uring_setup(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	return syscall(SYS_io_uring_setup, 1U, &p);
}

static long
do_unshare(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER);
}

static long
do_setns(void)
{
	int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
	long r;
	if (fd < 0)
		fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = syscall(SYS_setns, fd, 0);
	close(fd);
	return r;
}

static long
do_perf_event_open(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0UL);
}

static long
do_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
}

static long
do_open_by_handle_at(void)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[8];
	} h;
	int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long r;
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = 8;
	h.fh.handle_type = 1; /* FILEID_INO32_GEN: an inode that does not exist */
	r = syscall(SYS_open_by_handle_at, mfd, &h.fh, O_RDONLY);
	if (mfd >= 0)
		close(mfd);
	return r;
}

static long
do_pivot_root(void)
{
	return syscall(SYS_pivot_root, "/tmp", "/tmp");
}

static long
do_chroot(void)
{
	return syscall(SYS_chroot, "/tmp");
}

static long
do_kexec_load(void)
{
	/* A foreign architecture in the flags: EINVAL after the CAP_SYS_BOOT check, so even a
	 * privileged caller never unloads or loads a kernel. */
	return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x12340000UL);
}

static long
do_init_module(void)
{
	/* An empty image: EPERM without CAP_SYS_MODULE, ENOEXEC/EFAULT with it. */
	return syscall(SYS_init_module, NULL, 0UL, "");
}

static long
reap(long pid)
{
	int st;
	if (pid > 0)
		(void)waitpid((pid_t)pid, &st, 0);
	return pid;
}

static long
do_clone_newuser(void)
{
	/* fork-like raw clone (no new stack): the child leaves at once. */
	long pid =
		syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, NULL, NULL, 0UL);
	if (pid == 0)
		syscall(SYS_exit_group, 0);
	return reap(pid);
}

static long
do_clone3(void)
{
	struct clone_args ca;
	long pid;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUSER | CLONE_NEWNS;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		syscall(SYS_exit_group, 0);
	return reap(pid);
}

static long
do_tiocsti(void)
{
	/* Pushes a harmless character into whatever terminal we can reach. */
	char c = ' ';
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	long r = -1;
	int err = ENOTTY;
	int fds[4] = {fd, 0, 1, 2};

	for (int i = 0; i < 4; i++) {
		if (fds[i] < 0)
			continue;
		r = syscall(SYS_ioctl, fds[i], TIOCSTI, &c);
		if (r >= 0)
			break;
		err = errno;
	}
	if (fd >= 0)
		close(fd);
	if (r < 0)
		errno = err;
	return r;
}

static long
closing(long fd)
{
	if (fd >= 0)
		close((int)fd);
	return fd;
}

static long
do_socket_netlink(void)
{
	/* NETLINK_AUDIT rather than ROUTE: route sockets are legitimately usable in a netns. */
	return closing(syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 9 /* AUDIT */));
}

static long
do_socket_netlink_route(void)
{
	return closing(syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* ROUTE */));
}

static long
do_socket_packet(void)
{
	return closing(syscall(SYS_socket, AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
}

static sigjmp_buf int80_jmp;

static void
int80_fault(int sig)
{
	siglongjmp(int80_jmp, sig);
}

static long
do_int80(void)
{
	/* The 32-bit ABI from a 64-bit process (IA32_EMULATION=y): i386 getpid is 20. Some
	 * hypervisor guests (PVM) have no int 0x80 gate: the instruction raises #GP, which
	 * arrives as SIGSEGV. That is reported as blocked with fault=SIGSEGV, so the tests can
	 * tell "the platform has no i386 entry" from "the sandbox let it through". */
	struct sigaction sa = {.sa_handler = int80_fault}, old;
	long ret = I386_NR_GETPID;

	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(int80_jmp, 1) != 0) {
		(void)sigaction(SIGSEGV, &old, NULL);
		printf("RESULT blocked int80 fault=SIGSEGV (no int 0x80 gate on this kernel)\n");
		return REPORTED;
	}
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
	(void)sigaction(SIGSEGV, &old, NULL);
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static long
do_x32(void)
{
	/* x32 getpid: the x86_64 number with bit 30 set. Most kernels lack x32 (ENOSYS). */
	return syscall(X32_SYSCALL_BIT | SYS_getpid);
}

static const struct attempt attempts[] = {
	{"getpid", do_getpid, "getpid() [control: must be allowed]"},
	{"ptrace", do_ptrace, "ptrace(PTRACE_TRACEME)"},
	{"ptrace-attach", do_ptrace_attach, "ptrace(PTRACE_ATTACH, 1)"},
	{"mount", do_mount, "mount(none, /tmp, tmpfs)"},
	{"umount2", do_umount2, "umount2(/tmp, MNT_DETACH)"},
	{"keyctl", do_keyctl, "keyctl(KEYCTL_GET_KEYRING_ID, SESSION)"},
	{"add_key", do_add_key, "add_key(user, gradebox-probe, PROCESS)"},
	{"bpf", do_bpf, "bpf(BPF_MAP_CREATE, array)"},
	{"io_uring_setup", do_io_uring_setup, "io_uring_setup(1)"},
	{"unshare", do_unshare, "unshare(CLONE_NEWUSER)"},
	{"setns", do_setns, "setns(/proc/1/ns/mnt)"},
	{"perf_event_open", do_perf_event_open, "perf_event_open(sw task-clock, self)"},
	{"userfaultfd", do_userfaultfd, "userfaultfd(UFFD_USER_MODE_ONLY)"},
	{"open_by_handle_at", do_open_by_handle_at, "open_by_handle_at(/, bogus handle)"},
	{"pivot_root", do_pivot_root, "pivot_root(/tmp, /tmp)"},
	{"chroot", do_chroot, "chroot(/tmp)"},
	{"kexec_load", do_kexec_load, "kexec_load(0 segments, foreign arch)"},
	{"init_module", do_init_module, "init_module(empty)"},
	{"clone", do_clone_newuser, "clone(CLONE_NEWUSER)"},
	{"clone3", do_clone3, "clone3(CLONE_NEWUSER|CLONE_NEWNS)"},
	{"tiocsti", do_tiocsti, "ioctl(tty, TIOCSTI)"},
	{"netlink", do_socket_netlink, "socket(AF_NETLINK, NETLINK_AUDIT)"},
	{"netlink-route", do_socket_netlink_route, "socket(AF_NETLINK, NETLINK_ROUTE) [info]"},
	{"packet", do_socket_packet, "socket(AF_PACKET, SOCK_RAW)"},
	{"int80", do_int80, "int $0x80 getpid (i386 ABI)"},
	{"x32", do_x32, "syscall(0x40000000|getpid) (x32 ABI)"},
};

#define N_ATTEMPTS (sizeof(attempts) / sizeof(attempts[0]))

/* Aliases, so the names seccomp reports also work as arguments. */
static const char *
canonical(const char *name)
{
	if (!strcmp(name, "ioctl"))
		return "tiocsti";
	if (!strcmp(name, "io_uring"))
		return "io_uring_setup";
	if (!strcmp(name, "socket"))
		return "netlink";
	return name;
}

static int
run_one(const struct attempt *a)
{
	long r;
	bool control = !strcmp(a->name, "getpid") || !strcmp(a->name, "netlink-route");

	probe_try(a->name);
	errno = 0;
	r = a->fn();
	if (r == REPORTED)
		return 0;
	if (r < 0) {
		probe_blocked(a->name, errno);
		return 0;
	}
	if (control) {
		probe_report("allowed", a->name, "ret=%ld %s", r, a->what);
		return 0;
	}
	probe_escaped(a->name, "ret=%ld %s", r, a->what);
	return 0;
}

int
main(int argc, char **argv)
{
	probe_init();
	if (argc < 2) {
		fprintf(stderr, "usage: %s NAME... | list | all\n", argv[0]);
		return PROBE_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "list")) {
		for (size_t i = 0; i < N_ATTEMPTS; i++)
			printf("%-20s %s\n", attempts[i].name, attempts[i].what);
		return 0;
	}
	/* getpid is the only attempt that is safe anywhere. */
	if (argc != 2 || strcmp(argv[1], "getpid") != 0)
		probe_refuse_root("try-syscall");

	for (int i = 1; i < argc; i++) {
		const char *name = canonical(argv[i]);
		bool found = false;
		for (size_t j = 0; j < N_ATTEMPTS; j++) {
			if (!strcmp(name, "all") || !strcmp(name, attempts[j].name)) {
				run_one(&attempts[j]);
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "try-syscall: unknown name '%s' (try 'list')\n", argv[i]);
			return PROBE_EXIT_USAGE;
		}
	}
	return probe_exit_code();
}
