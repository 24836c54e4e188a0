#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real server while another process holds its SQLite file's write lock (an admin's sqlite3
# in a transaction, say): status queries are still answered, a job that finishes meanwhile
# keeps its outcome in memory and records it once the lock is gone (graded once, not twice),
# `gradebox submit` waits for the lock instead of failing, and a server told to stop while an
# outcome still waits exits anyway, the job being graded again by the next server.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

gb_require_server

plan 25
gb_server_env
LOG=$T/server.log
start_server() { gb_start_server --slots 1 "$@"; } # extra options of `gradebox serve`
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
log_has() { grep -q -- "$1" "$LOG"; }
job_state() { [ "$(q "SELECT state FROM jobs WHERE id = $1")" = "$2" ]; }

# One test whose program sleeps 1.5 s: the job is still running when the lock is taken.
mkdir -p "$T/asg"
cat >"$T/asg/assignment.json" <<'JSON'
{"name": "locksum", "language": "c", "build": "gcc -O2 -o sum sum.c", "run": "./sum",
 "checker": "tokens",
 "tests": [{"name": "t1", "stdin": "2\n20 22\n", "expected_stdout": "42", "points": 1}]}
JSON
gb_slow_sum "$T/src" 1500
gb_slow_sum "$T/src2" 1
tar -C "$T/src" -czf "$T/a.tar.gz" sum.c
tar -C "$T/src2" -czf "$T/b.tar.gz" sum.c
cp "$T/a.tar.gz" "$T/c.tar.gz"

ok "server starts" start_server
ok "assignment added" "$GB" assignment add "$T/asg"
ok "a job is submitted" "$GB" submit --assignment locksum --student alice "$T/a.tar.gz"
ok "... and runs" wait_for 60 job_state 1 running

# --- a job finishes while another process holds the write lock ------------------------------
ok "another process takes the database's write lock" db_lock "$DB" admin
ok "the finished job's outcome waits in memory" \
	wait_for 60 log_has "job 1: the database is locked by another process; the outcome waits in memory"
code=$(curl -sS -o "$T/status.json" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/data/token")" \
	"$GRADEBOX_SERVER/api/jobs/1")
is "$code" 200 "a status query is answered while the lock is held"
is "$(json_field "$T/status.json" state)" running "... and the job is not reported done before its outcome is recorded"
"$GB" submit --assignment locksum --student bob "$T/b.tar.gz" >"$T/submit.out" 2>"$T/submit.err" &
SUB=$!
bg_track "$SUB"
ok "gradebox submit waits for the lock instead of failing" \
	wait_for 30 grep -q "the server is busy (.*database busy.*); trying again" "$T/submit.err"
db_unlock admin
wait "$SUB" && rc=0 || rc=$?
is "$rc" 0 "... and succeeds once the lock is released"
ok "the outcome is recorded once the lock is gone" wait_for 30 job_state 1 "done"
is "$(q "SELECT attempts || ' ' || verdict FROM jobs JOIN verdicts ON verdicts.job_id = jobs.id WHERE jobs.id = 1")" \
	"1 AC" "the job was graded once, with its verdict"
ok "the server says how long the outcome waited" log_has "job 1: outcome recorded after waiting"
unlike "$(cat "$LOG")" "cannot record the result" "no result was dropped for a regrade"
ok "the submission made during the lock is graded" wait_for 60 job_state 2 "done"

# --- told to stop while an outcome still waits: it exits; the next server grades the job ------
kill -TERM "$SRV"
wait "$SRV" || true
ok "a server with a short lease starts" start_server --lease 3 --drain-timeout 1
ok "a third job is submitted" "$GB" submit --assignment locksum --student carol "$T/c.tar.gz"
ok "... and runs" wait_for 60 job_state 3 running
ok "the lock is taken again" db_lock "$DB" admin2
ok "the outcome waits" wait_for 60 log_has "job 3: the database is locked by another process"
kill -TERM "$SRV"
wait "$SRV" && rc=0 || rc=$?
is "$rc" 0 "SIGTERM: the server exits although an outcome still waits for the lock"
ok "... and says the job will be graded again" \
	log_has "job 3: outcome not recorded (the database is still locked); the job is graded again after its lease"
db_unlock admin2
start_server --lease 3 >/dev/null
wait_for 60 job_state 3 "done" || true
is "$(q "SELECT state || ' ' || attempts FROM jobs WHERE id = 3")" "done 2" \
	"the next server grades that job again, once more (its second attempt)"
kill -TERM "$SRV"
wait "$SRV" || true
gb_check_leaks
done_testing
