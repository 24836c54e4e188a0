/* SPDX-License-Identifier: MIT */
/* abi-int80: makes a 32-bit system call (i386 getpid, number 20) with `int $0x80` from a
 * 64-bit process: a filter written only for x86_64 numbers would let every i386 call through
 * (KERNEL-NOTES 11). A return from the call is an escape. Expected: the filter's
 * bad-architecture action: SV "i386:getpid"; on a kernel without the int 0x80 gate
 * (IA32_EMULATION off, or ia32_emulation=0, as on this machine) the instruction raises
 * SIGSEGV: SG. Either way the call never ran. */
#include <stdio.h>

int
main(void)
{
	long ret;
	fflush(stdout);
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	printf("ESCAPED int 0x80 getpid returned %ld\n", ret);
	return 0;
}
