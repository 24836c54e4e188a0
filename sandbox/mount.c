/* SPDX-License-Identifier: MIT */
/* Builds the sandbox's root: staging tmpfs -> overlay(layers..., image; upper) -> /proc, /dev,
 * /tmp, read-only binds -> pivot_root. Runs in the sandbox's init before it drops privileges. */
#include "mount.h"

#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define STEP(s)                  \
	do {                     \
		*ret_step = (s); \
	} while (0)

int
mount_check_layer_path(const char *path)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	/* overlayfs splits lowerdir on ':' and options on ','; refusing is simpler and safer than
	 * escaping. */
	if (strpbrk(path, ",:\\\n"))
		return -EINVAL;
	return 0;
}

/* Mounts a tmpfs; nodev unless it must hold device nodes (/dev). */
static int
mount_tmpfs(const char *where, uint64_t size, uint64_t inodes, unsigned mode, unsigned long flags)
{
	char opts[128];

	snprintf(opts, sizeof(opts), "size=%llu,nr_inodes=%llu,mode=%o", (unsigned long long)size,
		 (unsigned long long)inodes, mode);
	if (mount("tmpfs", where, "tmpfs", flags, opts) < 0)
		return -errno;
	return 0;
}

/* Read-only, nosuid, nodev bind of @src onto @dst: bind first, then remount to set the flags
 * (a bind mount ignores flags given with MS_BIND alone). */
static int
bind_ro(const char *src, const char *dst, bool recursive)
{
	if (mount(src, dst, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
		return -errno;
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
	    0)
		return -errno;
	return 0;
}

/* Creates the mount point for a bind of @src at @dst: a directory for a directory, an empty
 * file otherwise. Missing parents are created (in the writable layer). */
static int
make_mount_point(const char *src, const char *dst)
{
	struct stat st;
	char parent[PATH_MAX];

	if (stat(src, &st) < 0)
		return -errno;
	if (strlen(dst) >= sizeof(parent))
		return -ENAMETOOLONG;
	strcpy(parent, dst);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		int r = util_mkdir_p(parent, 0755);
		if (r < 0)
			return r;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			return -errno;
		return 0;
	}
	int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int
make_dev(void)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {{"null", 1, 3},
		     {"zero", 1, 5},
		     {"full", 1, 7},
		     {"random", 1, 8},
		     {"urandom", 1, 9}};
	static const char *const links[][2] = {{"/proc/self/fd", "fd"},
					       {"/proc/self/fd/0", "stdin"},
					       {"/proc/self/fd/1", "stdout"},
					       {"/proc/self/fd/2", "stderr"}};

	/* Only these five devices exist; /dev is remounted read-only afterwards, and the sandbox
	 * has no CAP_MKNOD in the user namespace that owns this mount anyway. */
	for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
		char path[64];
		snprintf(path, sizeof(path), "dev/%s", nodes[i].name);
		if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
			return -errno;
		/* mknod honours the umask: make sure the mode is what we said. */
		if (chmod(path, 0666) < 0)
			return -errno;
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		char path[64];
		snprintf(path, sizeof(path), "dev/%s", links[i][1]);
		if (symlink(links[i][0], path) < 0)
			return -errno;
	}
	if (mkdir("dev/shm", 01777) < 0 || mkdir("dev/pts", 0755) < 0)
		return -errno;
	return 0;
}

int
mount_build_root(const struct mount_plan *p, const char **ret_step)
{
	int fd = -1;
	int r = mount_build_root_upper(p, ret_step, &fd);
	if (fd >= 0)
		close(fd);
	return r;
}

int
mount_build_root_upper(const struct mount_plan *p, const char **ret_step, int *ret_upper_fd)
{
	/* Static rather than 28 KiB of stack: stack-clash probes touch every page of a frame,
	 * and each page fault is expensive on shadow-paged guests (docs/performance.md). This
	 * runs once, in the sandbox's init. */
	static char upper[PATH_MAX], work[PATH_MAX], root[PATH_MAX], opts[4 * PATH_MAX + 128];
	size_t off;
	int r;

	STEP("make mounts private");
	/* Nothing we mount may propagate back to the host, and nothing of the host's may
	 * propagate in. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;

	STEP("mount staging tmpfs");
	/* The staging tmpfs holds the merged root's mount point and, without --workdir, the
	 * writable layer itself, so its size is the disk limit. */
	r = mount_tmpfs(p->staging, p->workdir ? 1 << 20 : p->disk_bytes,
			p->workdir ? 64 : p->inodes, 0700, MS_NOSUID | MS_NODEV);
	if (r < 0)
		return r;
	snprintf(root, sizeof(root), "%s/root", p->staging);
	if (p->workdir) {
		snprintf(upper, sizeof(upper), "%s/upper", p->workdir);
		snprintf(work, sizeof(work), "%s/work", p->workdir);
	} else {
		snprintf(upper, sizeof(upper), "%s/upper", p->staging);
		snprintf(work, sizeof(work), "%s/work", p->staging);
	}
	STEP("create overlay directories");
	if (mkdir(root, 0755) < 0 || (mkdir(upper, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(work, 0700) < 0 && errno != EEXIST))
		return -errno;
	/* Kept open: after pivot_root the upper directory is unreachable by path, but an incident
	 * snapshot needs exactly what the program wrote. */
	*ret_upper_fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	STEP("link overlay layers");
	/* The program reads the overlay's options in /proc/self/mountinfo, and the layers' host
	 * paths would tell it where the image, the job's scratch (its job id and attempt among
	 * them) and the writable layer live. overlayfs shows each path as it was given, so it
	 * gets names relative to the staging directory, symbolic links to the real ones:
	 * "lowerdir=l1:l2:image,upperdir=upper,workdir=work". */
	if (chdir(p->staging) < 0)
		return -errno;
	off = (size_t)snprintf(opts, sizeof(opts), "lowerdir=");
	unsigned n = 0;
	for (const char *const *l = p->layers; l && *l; l++) {
		char name[16];
		snprintf(name, sizeof(name), "l%u", ++n);
		if (symlink(*l, name) < 0)
			return -errno;
		off += (size_t)snprintf(opts + off, sizeof(opts) - off, "%s:", name);
	}
	if (symlink(p->image, "image") < 0)
		return -errno;
	if (p->workdir && (symlink(upper, "upper") < 0 || symlink(work, "work") < 0))
		return -errno;
	off += (size_t)snprintf(opts + off, sizeof(opts) - off,
				"image,upperdir=upper,workdir=work");
	if (off >= sizeof(opts))
		return -ENAMETOOLONG;
	STEP("mount overlay root");
	/* nosuid: a setuid binary in the image or written by the student never elevates. */
	if (mount("overlay", "root", "overlay", MS_NOSUID | MS_NODEV, opts) < 0)
		return -errno;
	if (chdir(root) < 0)
		return -errno;

	if (p->bind_host_usr) {
		STEP("bind host /usr read-only");
		/* An overlay ignores submounts of its lower layer, so the host's /usr is bound over
		 * the merged root: writes there fail with EROFS instead of landing anywhere. */
		r = bind_ro("/usr", "usr", true);
		if (r < 0)
			return r;
	}

	STEP("create /box");
	if (mkdir("box", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (chown("box", p->box_uid, p->box_gid) < 0 || chmod("box", 0755) < 0)
		return -errno;

	STEP("mount /proc");
	if (mkdir("proc", 0555) < 0 && errno != EEXIST)
		return -errno;
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;

	STEP("mount /dev");
	if (mkdir("dev", 0755) < 0 && errno != EEXIST)
		return -errno;
	r = mount_tmpfs("dev", 64 << 10, 64, 0755, MS_NOSUID | MS_NOEXEC);
	if (r < 0)
		return r;
	r = make_dev();
	if (r < 0)
		return r;
	STEP("mount /dev/shm");
	r = mount_tmpfs("dev/shm", p->disk_bytes, p->inodes, 01777, MS_NOSUID | MS_NODEV);
	if (r < 0)
		return r;
	if (chown("dev/shm", p->box_uid, p->box_gid) < 0)
		return -errno;
	STEP("remount /dev read-only");
	if (mount(NULL, "dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0)
		return -errno;

	STEP("mount /tmp");
	if (mkdir("tmp", 01777) < 0 && errno != EEXIST)
		return -errno;
	r = mount_tmpfs("tmp", p->disk_bytes, p->inodes, 01777, MS_NOSUID | MS_NODEV);
	if (r < 0)
		return r;

	STEP("bind read-only paths");
	for (size_t i = 0; i < p->n_binds; i++) {
		char dst[PATH_MAX];
		if (p->binds[i].dst[0] != '/' || strstr(p->binds[i].dst, ".."))
			return -EINVAL;
		snprintf(dst, sizeof(dst), ".%s", p->binds[i].dst);
		r = make_mount_point(p->binds[i].src, dst);
		if (r < 0)
			return r;
		r = bind_ro(p->binds[i].src, dst, true);
		if (r < 0)
			return r;
	}

	STEP("pivot_root");
	/* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only
	 * the sandbox's tree (the trick runc and bubblewrap use; no put_old directory needed). */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	*ret_step = NULL;
	return 0;
}
