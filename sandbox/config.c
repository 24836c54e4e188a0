/* SPDX-License-Identifier: MIT */
/* run.h's plain data: the defaults of a run and the names of statuses and steps. No system
 * calls and no libraries, so that the front door (grader/front.c, built against musl) shares
 * them with the supervisor. */
#include "run.h"

#include <string.h>

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
	[RUN_STEP_READY] = "ready",	  [RUN_STEP_EXEC] = "exec",
	[RUN_STEP_EXITED] = "exited",	  [RUN_STEP_DRAINED] = "drained",
	[RUN_STEP_CLEANED] = "cleaned",
};

const char *
run_step_to_string(enum run_step s)
{
	return s < _RUN_STEP_MAX ? step_names[s] : NULL;
}

enum run_status
run_status_from_string(const char *s)
{
	for (int i = 0; i < _RUN_STATUS_MAX; i++)
		if (s && strcmp(s, status_names[i]) == 0)
			return (enum run_status)i;
	return _RUN_STATUS_INVALID;
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
		.netns_fd = -1,
		.cancel_fd = -1,
	};
}
