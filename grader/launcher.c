/* SPDX-License-Identifier: MIT */
/* `gradebox-run`: the full runner. The front door (`gradebox`, grader/front.c) execs it for
 * every `gradebox run` it does not hand to a warm pool itself, and for `gradebox pool`. It
 * links only the sandbox library, libseccomp, libcap and jansson: a sandboxed run should not
 * pay for loading libarchive's dependency tree (libxml2, ICU, libstdc++: about 17 ms per
 * process on this machine, measured in docs/performance.md). Any other subcommand reaching it
 * (run by hand) is the full `gradebox-grader` next to this binary, exec'ed with the same
 * arguments. */
#include "cli.h"
#include "log.h"
#include "pool.h"
#include "util.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 32];

	log_set_ident("gradebox");
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "pool") == 0)
		return cmd_pool(argc - 1, argv + 1);
	int r = util_self_dir(self, sizeof(self));
	if (r < 0)
		return log_error_errno(r, "cannot find my own binary: %m"), 2;
	snprintf(path, sizeof(path), "%s/gradebox-grader", self);
	execv(path, argv);
	log_error("cannot run %s: %m", path);
	return 2;
}
