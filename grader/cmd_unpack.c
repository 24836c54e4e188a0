/* SPDX-License-Identifier: MIT */
/* `gradebox unpack-helper`: the intake step as it runs INSIDE a sandbox (unpack policy, no
 * privileges, a size- and inode-limited writable layer). Reads the archive on stdin, creates
 * its files in the working directory, and prints one JSON line: {"ok":true,"files":..} or
 * {"ok":false,"entry":..,"reason":..}. Exit 0 accepted, 1 rejected, 2 other failure. */
#include "cli.h"
#include "policy.h"
#include "unpack.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>

int
cmd_unpack_helper(int argc, char **argv)
{
	struct unpack_limits lim = unpack_limits_default();
	struct unpack_stats st = {0};
	struct unpack_error err = {0};

	/* Limits come from the pipeline as "--max-bytes N --max-entries N" pairs. */
	for (int i = 1; i + 1 < argc; i += 2) {
		uint64_t v;
		if (util_parse_u64(argv[i + 1], &v) < 0)
			return 2;
		if (strcmp(argv[i], "--max-bytes") == 0)
			lim.max_total_bytes = v;
		else if (strcmp(argv[i], "--max-entries") == 0)
			lim.max_entries = v;
		else if (strcmp(argv[i], "--max-file-bytes") == 0)
			lim.max_file_bytes = v;
		else
			return 2;
	}
	/* We were exec'ed under a policy that allows execve (every sandboxed program starts
	 * that way); before touching the archive, make sure a compromised parser can never
	 * start anything. */
	if (policy_forbid_exec_now() < 0)
		return 2;
	/* Past the file-size rlimit, write() should fail with EFBIG ("disk limit reached"), not
	 * kill us before we can say which entry it was. */
	(void)signal(SIGXFSZ, SIG_IGN);
	_cleanup_close_ int dest = open(".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dest < 0)
		return 2;
	int r = unpack_fd(STDIN_FILENO, dest, &lim, &st, &err);
	json_t *j = json_object();
	json_object_set_new(j, "ok", json_boolean(r == 0));
	if (r == 0) {
		json_object_set_new(j, "files", json_integer((json_int_t)st.files));
		json_object_set_new(j, "dirs", json_integer((json_int_t)st.dirs));
		json_object_set_new(j, "bytes", json_integer((json_int_t)st.bytes));
	} else {
		json_object_set_new(j, "errno", json_integer(-r));
		json_object_set_new(j, "entry", json_string(err.entry));
		json_object_set_new(j, "index", json_integer((json_int_t)err.index));
		json_object_set_new(j, "reason",
				    json_string(err.reason[0] ? err.reason : strerror(-r)));
	}
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s) {
		(void)util_write_all(STDOUT_FILENO, s, strlen(s));
		(void)util_write_all(STDOUT_FILENO, "\n", 1);
		free(s);
	}
	if (r == -EINVAL || r == -ENOSPC || r == -EEXIST || r == -ELOOP)
		return 1;
	return r == 0 ? 0 : 2;
}
