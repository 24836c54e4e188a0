/* SPDX-License-Identifier: MIT */
/* abi-x32: makes an x32 system call (getpid with __X32_SYSCALL_BIT, 0x40000000 | 39): x32
 * shares the x86_64 audit arch, so a filter that only compares numbers without masking the
 * bit is bypassed. A pid coming back is an escape. Expected: SV "x32:getpid" (libseccomp's
 * x86_64 filter treats x32 as another ABI); ENOSYS would also mean the call did not run. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	long r = syscall(0x40000000L | SYS_getpid);
	if (r > 0) {
		printf("ESCAPED x32 getpid returned %ld\n", r);
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
