#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`: grade the sample batch end to end on the embedded default (SQLite in a data
# dir): start `gradebox serve`, add the sample assignments, submit every sample submission as
# one batch per assignment, wait, print the per-student table and the CSV, and compare each
# verdict and score with submissions/expected.tsv. Exit 1 if any differs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB=$ROOT/build/gradebox
DATA=${GRADEBOX_DEMO_DATA:-$ROOT/data/demo}

[ "$(id -u)" = 0 ] || { echo "demo: run as root (sandboxes need namespaces and cgroups)" >&2; exit 2; }
[ -x "$GB" ] || { echo "demo: $GB missing (make)" >&2; exit 2; }

rm -rf "$DATA"
mkdir -p "$DATA"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GRADEBOX_DATA=$DATA GRADEBOX_SERVER=http://127.0.0.1:$PORT

echo "== starting gradebox serve on 127.0.0.1:$PORT (data in $DATA, log in $DATA/server.log)"
"$GB" serve --port "$PORT" >"$DATA/server.log" 2>&1 &
SRV=$!
stop() {
	kill -TERM "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 100); do
	curl -fsS "$GRADEBOX_SERVER/api/health" >/dev/null 2>&1 && break
	kill -0 "$SRV" 2>/dev/null || { cat "$DATA/server.log" >&2; exit 2; }
	sleep 0.1
done

echo "== packing the sample submissions"
bash "$ROOT/submissions/make-tarballs.sh" "$DATA/tarballs"

status=0
for dir in "$ROOT"/submissions/*/assignment; do
	a=$(basename "$(dirname "$dir")")
	[ -d "$DATA/tarballs/$a" ] || continue
	echo
	echo "== assignment $a"
	"$GB" assignment add "$dir"
	"$GB" batch --assignment "$a" --wait "$DATA/tarballs/$a" || true
	echo
	echo "-- $a: CSV export"
	"$GB" export --assignment "$a" --csv | tee "$DATA/$a.csv"
done

echo
echo "== check against submissions/expected.tsv"
printf '%-8s %-22s %-14s %-9s %s\n' ASSIGN STUDENT EXPECTED GOT CHECK
while IFS=$'\t' read -r a student verdicts score; do
	case $a in '#'* | '') continue ;; esac
	line=$(tr -d '\r' <"$DATA/$a.csv" | awk -F, -v s="$student" 'NR > 1 && $1 == s { print $(NF-1) "," $NF }')
	got_score=${line%,*}
	got_verdict=${line#*,}
	ok=ok
	if [[ "|$verdicts|" != *"|$got_verdict|"* ]] || [ "${got_score%.*}" != "${score%.*}" ]; then
		ok=MISMATCH
		status=1
	fi
	printf '%-8s %-22s %-14s %-9s %s\n' "$a" "$student" "$verdicts $score" \
		"$got_verdict $got_score" "$ok"
done <"$ROOT/submissions/expected.tsv"
echo
[ $status = 0 ] && echo "demo: every sample got its expected verdict and score" ||
	echo "demo: some samples differ from submissions/expected.tsv (see above)"
exit $status
