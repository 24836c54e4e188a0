/* SPDX-License-Identifier: MIT */
/* priv-perf-event: opens a CPU-cycles counter on every process of CPU 0 (pid -1): a host-wide
 * side channel and a long CVE list. Then a counter on itself. Expected: perf_event_open is on
 * the never-allow list: SV. */
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	if (syscall(SYS_perf_event_open, &a, -1, 0, -1, 0) >= 0) {
		puts("ESCAPED perf_event_open on every process of CPU 0");
		return 0;
	}
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	if (syscall(SYS_perf_event_open, &a, 0, -1, -1, 0) >= 0) {
		puts("ESCAPED perf_event_open on itself");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
