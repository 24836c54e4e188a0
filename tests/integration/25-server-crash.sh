#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reliability of the real server with a real SQLite file and real tarballs: SIGKILL mid-batch
# loses no job and grades none twice; the restarted server finishes the batch; SIGTERM drains.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

gb_require_server

plan 17
gb_server_env
N=8
start_server() { gb_start_server --slots 2 --lease 2 --drain-timeout 30; }
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

# A small assignment whose test runs ~0.6 s, so jobs are mid-flight when the server dies.
mkdir -p "$T/asg" "$T/src" "$T/tarballs"
cat >"$T/asg/assignment.json" <<'JSON'
{"name": "slowsum", "language": "c", "build": "gcc -O2 -o sum sum.c", "run": "./sum",
 "checker": "tokens",
 "tests": [{"name": "t1", "stdin": "2\n20 22\n", "expected_stdout": "42", "points": 1},
           {"name": "t2", "stdin": "3\n1 2 3\n", "expected_stdout": "6", "points": 1}]}
JSON
gb_slow_sum "$T/src" 300
for i in $(seq $N); do
	tar -C "$T/src" -czf "$T/tarballs/student$i.tar.gz" sum.c
done

ok "server starts" start_server
ok "assignment added" "$GB" assignment add "$T/asg"
"$GB" batch --assignment slowsum "$T/tarballs" >"$T/batch.log" 2>&1 || true
is "$(q "SELECT count(*) FROM jobs")" "$N" "$N jobs queued"

# Wait until some job is done and some are still running or queued, then SIGKILL the server.
for _ in $(seq 300); do
	done_n=$(q "SELECT count(*) FROM jobs WHERE state='done'")
	[ "$done_n" -ge 1 ] && break
	sleep 0.1
done
# A grading worker is a fresh process, not a fork of the server: neither the staff token the
# server holds in memory nor its database files are in the worker. The server is the control.
TOKEN=$(cat "$T/data/token")
dbfds() { find "/proc/$1/fd" -lname '*gradebox.db*' 2>/dev/null | wc -l | tr -d ' '; }
is "$("$PY" "$ROOT/tests/memscan.py" "$SRV" "$TOKEN")" found "control: the server's memory holds the staff token"
cmp_ok "$(dbfds "$SRV")" ">" 0 "control: the server has the database open"
wmem=gone wdb=
for _ in $(seq 50); do
	w=$(ps -e -o pid=,ppid=,comm= | awk -v s="$SRV" '$2 == s && $3 == "gradebox-worker" { print $1; exit }')
	if [ -n "$w" ]; then
		wdb=$(dbfds "$w")
		wmem=$("$PY" "$ROOT/tests/memscan.py" "$w" "$TOKEN")
	fi
	[ "$wmem" != gone ] && break
	sleep 0.05
done
is "$wmem" absent "a running grading worker's memory does not hold it"
is "$wdb" 0 "nor has it the database open"
tree=$(gb_descendants "$SRV" | sort -n | tr '\n' ' ')
kill -9 "$SRV"
wait "$SRV" 2>/dev/null || true
before=$(q "SELECT count(*) FROM jobs WHERE state='done'")
cmp_ok "$before" "<" "$N" "server killed mid-batch ($before of $N done)"
alive=
for _ in $(seq 50); do
	alive=
	for p in $tree; do
		[ -d "/proc/$p" ] && alive="$alive $p($(cat "/proc/$p/comm" 2>/dev/null || true))"
	done
	[ -z "$alive" ] && break
	sleep 0.1
done
note "processes of the killed server: ${tree:-none}"
is "$alive" "" "no worker or sandbox process survives the killed server"

ok "server restarts" start_server
for _ in $(seq 600); do
	[ "$(q "SELECT count(*) FROM jobs WHERE state IN ('done','failed')")" = "$N" ] && break
	sleep 0.2
done
is "$(q "SELECT count(*) FROM jobs WHERE state='done'")" "$N" "every job graded after the restart"
is "$(q "SELECT count(*) FROM verdicts")" "$N" "exactly one verdict per job"
is "$(q "SELECT count(*) FROM audit WHERE kind='complete'")" "$N" "exactly one completion per job in the audit trail"
is "$(q "SELECT group_concat(DISTINCT verdict) FROM verdicts")" "AC" "every job AC"

# SIGTERM drains: queue two more, stop while they run, they still finish.
"$GB" submit --assignment slowsum --student late1 "$T/tarballs/student1.tar.gz" >/dev/null
"$GB" submit --assignment slowsum --student late2 "$T/tarballs/student2.tar.gz" >/dev/null
for _ in $(seq 100); do
	[ "$(q "SELECT count(*) FROM jobs WHERE state='running'")" -ge 1 ] && break
	sleep 0.05
done
kill -TERM "$SRV"
wait "$SRV" 2>/dev/null || true
left=$(q "SELECT count(*) FROM jobs WHERE state='running'")
is "$left" "0" "SIGTERM: no job left running (finished or requeued)"
gb_check_leaks
done_testing
