#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end with the real server, a real SQLite file and real tarballs: `make demo`'s script
# grades every sample submission in submissions/ and each must get the verdict and score in
# submissions/expected.tsv. One TAP line per sample.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$GB" ] || skip_all "$GB not built"
command -v curl >/dev/null || skip_all "curl missing (make deps)"
gb_works || skip_all "'gradebox run' does not work here"

n=$(grep -cvE '^(#|$)' "$ROOT/submissions/expected.tsv")
plan $((n + 3))
usr_before=$(find /usr/bin -maxdepth 1 | wc -l)
rc=0
GRADEBOX_DEMO_DATA=$T/demo timeout 1200 bash "$ROOT/grader/demo.sh" >"$T/demo.log" 2>&1 || rc=$?
while read -r a student expected got_v got_s check; do
	if [ "$check" = ok ]; then
		_pass "$a/$student: $got_v $got_s"
	else
		_fail "$a/$student: got $got_v $got_s, expected $expected"
	fi
done < <(awk '$NF == "ok" || $NF == "MISMATCH" { print $1, $2, $3 "_" $4, $(NF-2), $(NF-1), $NF }' "$T/demo.log")
is "$rc" 0 "the demo script reports every sample as expected"
is "$(find /usr/bin -maxdepth 1 | wc -l)" "$usr_before" "hostile builds left the host's /usr/bin as it was"
[ "$rc" = 0 ] || diag "$(tail -n 40 "$T/demo.log")"
gb_procs=$(gb_sandbox_procs)
is "$gb_procs" "" "no sandbox process left after the demo"
done_testing
