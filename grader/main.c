/* SPDX-License-Identifier: MIT */
/* `gradebox`: dispatches to the subcommands. */
#include "cli.h"
#include "client.h"
#include "log.h"
#include "pool.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
	fputs("usage: gradebox COMMAND [OPTIONS]\n"
	      "\n"
	      "commands:\n"
	      "  run [OPTIONS] -- PROGRAM [ARGS...]   run one program in a fresh sandbox\n"
	      "  pool [--sandboxes N]                 keep sandboxes built ahead for `gradebox "
	      "run`\n"
	      "  serve [OPTIONS]                      the grading server (HTTP API, SQLite queue)\n"
	      "  grade [--json] ASSIGNMENT_DIR TARBALL  grade one submission here, no server\n"
	      "  demo escapes [--server URL]          grade the escape corpus, show what blocked "
	      "each\n"
	      "\n",
	      f);
	client_usage(f);
	fputs("\n`gradebox COMMAND --help` describes a command.\n", f);
}

int
main(int argc, char **argv)
{
	log_set_ident("gradebox");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "pool") == 0)
		return cmd_pool(argc - 1, argv + 1);
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(argv[1], "demo") == 0)
		return cmd_demo(argc - 1, argv + 1);
	if (strcmp(argv[1], "grade") == 0)
		return cmd_grade(argc - 1, argv + 1);
	/* Internal: the intake step as it runs inside its own sandbox (see pipeline.c). */
	if (strcmp(argv[1], "unpack-helper") == 0)
		return cmd_unpack_helper(argc - 1, argv + 1);
	/* Internal: one grading job, spawned by `gradebox serve` (see server.c). */
	if (strcmp(argv[1], "worker") == 0)
		return cmd_worker(argc - 1, argv + 1);
	if (client_is_command(argv[1]))
		return cmd_client(argv[1], argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
