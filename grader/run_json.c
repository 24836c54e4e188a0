/* SPDX-License-Identifier: MIT */
/* A run's result as JSON (see run_json.h). */
#include "run_json.h"

#include <errno.h>

void
run_json_add_denial(json_t *j, const struct run_result *r)
{
	json_t *args = json_array();
	for (int i = 0; i < 6; i++)
		json_array_append_new(args, json_integer((json_int_t)r->denied_args[i]));
	json_object_set_new(j, "denied_args", args);
	json_object_set_new(j, "denied_pid", json_integer(r->denied_pid));
	json_object_set_new(j, "frozen", json_boolean(r->frozen));
	json_object_set_new(j, "process_tree", json_string(r->process_tree));
}

json_t *
run_result_json(const struct run_result *r, bool pool)
{
	json_t *j = json_object();
	json_object_set_new(j, "status", json_string(run_status_to_string(r->status)));
	json_object_set_new(j, "exit_code",
			    r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
	json_object_set_new(j, "signal", r->signal ? json_integer(r->signal) : json_null());
	json_object_set_new(j, "cpu_time_ms", json_integer((json_int_t)r->cpu_time_ms));
	json_object_set_new(j, "wall_time_ms", json_integer((json_int_t)r->wall_time_ms));
	json_object_set_new(j, "memory_peak_kb", json_integer((json_int_t)r->memory_peak_kb));
	json_object_set_new(j, "output_bytes", json_integer((json_int_t)r->output_bytes));
	json_object_set_new(j, "output_truncated", json_boolean(r->output_truncated));
	json_object_set_new(j, "denied_syscall",
			    r->denied_syscall[0] ? json_string(r->denied_syscall) : json_null());
	if (r->denied_syscall[0])
		run_json_add_denial(j, r);
	json_object_set_new(j, "host_uid_base", json_integer(r->host_uid_base));
	json_object_set_new(j, "message", json_string(r->message));
	/* Whether a warm sandbox from the pool ran it (tests check the pool is used). */
	json_object_set_new(j, "pool", json_boolean(pool));
	return j;
}

int
run_json_dump(json_t *doc, int fd)
{
	errno = 0;
	int r = json_dumpfd(doc, fd, JSON_INDENT(2) | JSON_SORT_KEYS);
	return r < 0 ? (errno ? -errno : -EIO) : 0;
}
