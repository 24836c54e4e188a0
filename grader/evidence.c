/* SPDX-License-Identifier: MIT */
/* Evidence archives with libarchive. The tree is walked with openat(O_NOFOLLOW) from a
 * directory fd the supervisor holds, so nothing the student planted (symlinks to host files)
 * can make us archive anything outside the layer. */
#include "evidence.h"

#include "hash.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct walk {
	struct archive *a;
	uint64_t budget; /* file bytes still allowed */
	unsigned entries;
	bool truncated;
};

static int
add_bytes(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	int r = archive_write_header(a, e) == ARCHIVE_OK &&
				archive_write_data(a, data, len) == (la_ssize_t)len
			? 0
			: -EIO;
	archive_entry_free(e);
	return r;
}

static int
walk_dir(struct walk *w, int dirfd, const char *prefix, int depth)
{
	if (depth > 64 || w->entries > 100000) {
		w->truncated = true;
		return 0;
	}
	int fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", prefix, de->d_name) >=
		    sizeof(path))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		struct archive_entry *e = archive_entry_new();
		archive_entry_copy_stat(e, &st);
		archive_entry_set_pathname(e, path);
		w->entries++;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd, de->d_name, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = 0;
			archive_entry_set_symlink(e, target);
			archive_entry_set_size(e, 0);
			r = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : -EIO;
		} else if (S_ISDIR(st.st_mode)) {
			archive_entry_set_size(e, 0);
			r = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : -EIO;
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (r == 0 && sub >= 0)
				r = walk_dir(w, sub, path, depth + 1);
			if (sub >= 0)
				close(sub);
		} else if (S_ISREG(st.st_mode)) {
			uint64_t size = (uint64_t)st.st_size;
			if (size > w->budget) {
				/* Over budget: keep the name and real size in the listing only. */
				w->truncated = true;
				size = 0;
			}
			archive_entry_set_size(e, (la_int64_t)size);
			r = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : -EIO;
			int f = size ? openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
				     : -1;
			char buf[65536];
			uint64_t left = size;
			while (r == 0 && f >= 0 && left > 0) {
				ssize_t n = read(f, buf, left < sizeof(buf) ? left : sizeof(buf));
				if (n <= 0)
					break;
				if (archive_write_data(w->a, buf, (size_t)n) != n)
					r = -EIO;
				left -= (uint64_t)n;
			}
			if (f >= 0)
				close(f);
			w->budget -= size;
		} else {
			/* FIFOs, sockets, whiteouts (char 0:0): metadata only. */
			archive_entry_set_size(e, 0);
			r = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : -EIO;
		}
		archive_entry_free(e);
	}
	closedir(d);
	return r;
}

int
evidence_snapshot(int upper_dirfd, const struct evidence_info *info, const char *dest_dir,
		  uint64_t max_bytes, char *ret_name, size_t name_size, char ret_sha256[65])
{
	char tmp[PATH_MAX], final[PATH_MAX];
	int r = util_mkdir_p(dest_dir, 0700);
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s/.evidence-%d.tmp", dest_dir, (int)getpid());
	struct archive *a = archive_write_new();
	if (!a)
		return -ENOMEM;
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		archive_write_free(a);
		return -EIO;
	}
	json_t *v = json_pack("{s:s, s:i, s:s, s:[I,I,I,I,I,I]}", "syscall", info->syscall, "pid",
			      info->pid, "step", info->step ? info->step : "", "args",
			      (json_int_t)info->args[0], (json_int_t)info->args[1],
			      (json_int_t)info->args[2], (json_int_t)info->args[3],
			      (json_int_t)info->args[4], (json_int_t)info->args[5]);
	char *vj = v ? json_dumps(v, JSON_INDENT(2)) : NULL;
	json_decref(v);
	r = add_bytes(a, "VIOLATION.json", vj ? vj : "{}", vj ? strlen(vj) : 2);
	free(vj);
	if (r == 0)
		r = add_bytes(a, "PROCESS_TREE.txt", info->process_tree ? info->process_tree : "",
			      info->process_tree ? strlen(info->process_tree) : 0);
	struct walk w = {.a = a, .budget = max_bytes};
	if (r == 0 && upper_dirfd >= 0)
		r = walk_dir(&w, upper_dirfd, "upper", 0);
	if (r == 0 && w.truncated)
		r = add_bytes(a, "TRUNCATED.txt", "some files exceeded the evidence size limit\n",
			      44);
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = -EIO;
	archive_write_free(a);
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	_cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (r = hash_sha256_fd(fd, ret_sha256)) < 0) {
		r = fd < 0 ? -errno : r;
		(void)unlink(tmp);
		return r;
	}
	snprintf(ret_name, name_size, "%s.tar.gz", ret_sha256);
	snprintf(final, sizeof(final), "%s/%s", dest_dir, ret_name);
	if (rename(tmp, final) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return r;
	}
	return 0;
}
