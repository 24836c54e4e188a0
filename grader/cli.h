/* SPDX-License-Identifier: MIT */
/* Subcommands of the `gradebox` binary. Each returns the process exit code: 0 OK, 1 "no"
 * (the program's status was not OK, a check failed), 2 usage or internal error. */
#pragma once

#include <stddef.h>

int cmd_run(int argc, char **argv);

/* Directory holding policies/NAME.policy: $GRADEBOX_POLICY_DIR, else ../policies next to the
 * binary (a build tree), else /usr/share/gradebox/policies. Writes into @buf. */
const char *cli_policy_dir(char *buf, size_t size);
