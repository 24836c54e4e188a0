/* SPDX-License-Identifier: MIT */
/* fs-chroot-break: the classic chroot break: chroot into a subdirectory while the cwd stays
 * outside it, climb with chdir(".."), then chroot("."). Success: /work or /home of the host
 * appears. Expected: chroot is on the never-allow list: SV. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(void)
{
	(void)mkdir("jail", 0755);
	if (chroot("jail") < 0) {
		puts("BLOCKED");
		return 0;
	}
	for (int i = 0; i < 64; i++)
		(void)chdir("..");
	(void)chroot(".");
	if (access("/work", F_OK) == 0 || access("/home", F_OK) == 0) {
		puts("ESCAPED chroot break reached the host's /");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
