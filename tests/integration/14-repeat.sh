#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `gradebox run --repeat N`: N runs from one process, each in a fresh sandbox. The runs share
# one network namespace (one after the other, as a pool slot's do); nothing of one run may be
# found by the next: files, processes, listeners.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
gb_require
plan 21

# statuses FILE: the runs' statuses from a --repeat result (a JSON array), space-separated.
statuses() {
	"$PY" -c 'import json, sys
print(" ".join(r["status"] for r in json.load(open(sys.argv[1]))))' "$1" 2>/dev/null || true
}

gb_run --cold --repeat 3 -- /bin/true
is "$GB_RC" 0 "--repeat 3 /bin/true: exit 0" || gb_diag
is "$(statuses "$GB_JSON")" "OK OK OK" "the result is an array of three runs"
like "$(cat "$GB_LOG")" "3 of 3 runs done, 3 OK" "a summary line counts the runs"

gb_run --cold --repeat 2 -- /bin/sh -c 'exit 3'
is "$GB_RC" 1 "--repeat 2 of a failing program: exit 1"
is "$(statuses "$GB_JSON")" "RE RE" "both runs ran and were RE"

printf 'line one\nline two\n' >"$T/in.txt"
gb_run --cold --repeat 2 --stdin "$T/in.txt" -- /bin/cat
is "$(cat "$GB_OUT")" "$(printf 'line one\nline two\nline one\nline two')" \
	"--stdin is read from its start by every run"

gb_run --repeat 0 -- /bin/true
is "$GB_RC" 2 "--repeat 0 is a usage error"
like "$(cat "$GB_LOG")" "--repeat: invalid count" "and says why"

# ---- an internal failure (exit 2) still leaves a result saying why -------------------------
# The --result file is created before anything runs; it gets an XX result, not nothing.
last_message() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print((d[-1] if isinstance(d, list) else d)["message"])' "$1" 2>/dev/null || true
}
printf 'bogus line\n' >"$T/bad.policy"
gb_run --policy "$T/bad.policy" -- /bin/true
is "$GB_RC/$GB_STATUS" 2/XX "a policy that does not parse: exit 2, and --result holds an XX result"
like "$(last_message "$GB_JSON")" "bad.policy:1: unknown keyword 'bogus'" \
	"... whose message names the file, the line and why"
mkfifo "$T/in.fifo"
(printf 'x\n' >"$T/in.fifo") &
bg_track $!
gb_run --cold --repeat 2 --stdin "$T/in.fifo" -- /bin/cat
is "$GB_RC/$(statuses "$GB_JSON")" "2/OK XX" \
	"--repeat with a --stdin that cannot be rewound: exit 2, the first run's result, then XX"
like "$(last_message "$GB_JSON")" "cannot rewind" "... which says why"

# ---- every run is fresh --------------------------------------------------------------------
# Each run first looks for what the run before it left, then leaves all of it: a TCP and an
# abstract-socket listener, files in /tmp, /box and /dev/shm, a child in its own session.
printf 'include run\nallow socket if arg0 == 1\nallow socket if arg0 == 2\nallow bind listen connect setsockopt getsockopt getsockname getpeername setsid\n' >"$T/net.policy"
gb_run --cold --repeat 3 --policy "$T/net.policy" -- /usr/bin/python3 -c "$(cat "$ROOT/tests/residue.py")" both 47012
is "$(statuses "$GB_JSON")" "OK OK OK" "three runs that each leave listeners, files and a child" || gb_diag
is "$(grep -c '^self-connect ok' "$GB_OUT")" 3 "control: every run reaches its own listeners"
is "$(grep -c '^tcp refused 111' "$GB_OUT")" 3 "no run finds the TCP listener of the run before"
is "$(grep -c '^unix refused 111' "$GB_OUT")" 3 "no run finds the abstract socket of the run before"
is "$(grep -c ' absent$' "$GB_OUT")" 9 "no run sees the files of the run before (/tmp, /box, /dev/shm)"
is "$(grep -c '^sleepers 0' "$GB_OUT")" 3 "no run sees the child the run before left"
is "$(gb_sandbox_procs)" "" "no sandbox process outlives the last run"
# One network namespace for the whole --repeat: held by the process, gone with it.
gb_check_leaks
done_testing
