/* SPDX-License-Identifier: MIT */
/* The sandbox's file system, built by the sandbox's init while it is still root in the
 * initial user namespace (KERNEL-NOTES trap 7: an overlay mounted from inside the user
 * namespace cannot copy up root-owned image files), in its own private mount namespace. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mount_bind {
	const char *src; /* host path, borrowed */
	const char *dst; /* absolute path inside, borrowed */
};

struct mount_plan {
	const char *staging;	   /* an existing host directory to mount the staging tmpfs on */
	const char *image;	   /* lowest read-only layer */
	bool bind_host_usr;	   /* the base image: bind the host's /usr read-only on /usr */
	const char *const *layers; /* extra read-only layers above the image, top first, or NULL */
	const char *workdir;	   /* holds upper/ and work/; NULL: the staging tmpfs holds them */
	uint64_t disk_bytes;	   /* staging tmpfs (writable layer) and /tmp size */
	uint64_t inodes;	   /* inode limit of those tmpfs */
	const struct mount_bind *binds;
	size_t n_binds;
	uid_t box_uid; /* host uid that owns /box (the sandbox user's mapped uid) */
	gid_t box_gid;
};

/* In a fresh mount namespace: makes every mount private, mounts the staging tmpfs, the
 * overlay root, /proc (for the caller's pid namespace), a minimal /dev, /tmp and the binds,
 * then pivot_root()s into it and detaches the old root. On failure returns -errno and points
 * *ret_step at a short description of the step that failed. */
int mount_build_root(const struct mount_plan *p, const char **ret_step);

/* Like mount_build_root(), and stores in *ret_upper_fd a directory fd of the writable layer's
 * upper directory (for incident snapshots by the supervisor), or -1. */
int mount_build_root_upper(const struct mount_plan *p, const char **ret_step, int *ret_upper_fd);

/* Checks that @path can be given to overlayfs (absolute, no ',' ':' or '\\'). Returns 0 or
 * -EINVAL. */
int mount_check_layer_path(const char *path);
