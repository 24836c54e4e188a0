#!/bin/bash
# SPDX-License-Identifier: MIT
# The HTTP API and the CLI against a real `gradebox serve` on a temp data dir and a free port:
# auth, error replies (400/401/403/404/405/409/413/415), submit -> status -> results, the
# student view, CSV export, cancel. Grading itself is not judged here (see the golden tests):
# a job only has to finish, whatever its verdict.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x "$GB" ] || skip_all "$GB not built (make build/gradebox)"
command -v curl >/dev/null || skip_all "curl not installed"
"$GB" serve --help >/dev/null 2>&1 || skip_all "this gradebox has no 'serve' command"

# How long a submitted job may take to finish (it is unpacked, built and run in sandboxes).
API_WAIT=${API_WAIT:-180}

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$PORT/api
D=$T/data

"$GB" serve --data-dir "$D" --port "$PORT" --slots 2 --max-body 64K >"$T/serve.log" 2>&1 &
SERVE_PID=$!
bg_track "$SERVE_PID"

up=0
for _ in $(seq 1 100); do
	if curl -sf "$U/health" >/dev/null 2>&1; then
		up=1
		break
	fi
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.1
done
if [ $up = 0 ]; then
	diag "$(tail -n 20 "$T/serve.log")"
	skip_all "gradebox serve did not come up on port $PORT"
fi
TOKEN=$(cat "$D/token")

# req METHOD PATH [curl args...]: sets CODE and BODY (the reply body in $T/body).
req() {
	local m=$1 p=$2
	shift 2
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$U$p" || true)
	BODY=$(cat "$T/body" 2>/dev/null || true)
}
staff() { req "$@" -H "Authorization: Bearer $TOKEN"; }
# jq-less JSON access: jv EXPR evaluates a Python expression over j = the last body.
jv() { "$PY" -c "import json, sys; j = json.load(open(sys.argv[1])); print($1)" "$T/body" 2>/dev/null || true; }

# --- fixtures ------------------------------------------------------------------------------
A=$T/asg
mkdir -p "$A"
cat >"$A/assignment.json" <<'EOF'
{
  "name": "apitest",
  "title": "API test: echo",
  "due": "2099-01-01T00:00:00Z",
  "language": "c",
  "build": "gcc -O2 -o echo echo.c",
  "run": "./echo",
  "checker": "tokens",
  "tests": [
    {"name": "vis", "stdin": "1\n", "expected_stdout": "1\n", "points": 1, "visibility": "visible"},
    {"name": "hid", "stdin": "2\n", "expected_stdout": "2\n", "points": 2, "visibility": "hidden"},
    {"name": "late", "stdin": "3\n", "expected_stdout": "3\n", "points": 3,
     "visibility": "after_due_date"}
  ]
}
EOF
mkdir -p "$T/bad" "$T/sym" "$T/src"
sed 's/"points": 2/"points": -2/' "$A/assignment.json" >"$T/bad/assignment.json"
cp "$A/assignment.json" "$T/sym/"
ln -s /etc/passwd "$T/sym/leak"
cat >"$T/src/echo.c" <<'EOF'
#include <stdio.h>
int main(void) { int c; while ((c = getchar()) != EOF) putchar(c); return 0; }
EOF
tar czf "$T/alice.tar.gz" -C "$T/src" echo.c
echo "just some text" >"$T/notes.txt"
# 100 KiB that start like gzip: passes the magic check, fails the 64K body cap.
{
	printf '\x1f\x8b'
	head -c 102400 /dev/zero
} >"$T/big.tar.gz"

# --- health and auth -----------------------------------------------------------------------
req GET /health
is "$CODE" 200 "GET /api/health needs no token"
is "$(jv 'j["ok"]')" True "health says ok"
is "$(jv 'j["slots"]')" 2 "health reports the slots"

req GET /assignments
is "$CODE" 401 "a staff route without a token is 401"
like "$BODY" 'Authorization' "the 401 says which header is missing"
req GET /assignments -H "Authorization: Bearer wrong"
is "$CODE" 401 "a wrong token is 401"

# --- assignments ---------------------------------------------------------------------------
staff POST /assignments -H 'Content-Type: application/json' -d '{"path": '
is "$CODE" 400 "bad JSON is 400"
like "$BODY" 'bad JSON' "the 400 says the JSON is bad"

staff POST /assignments -H 'Content-Type: application/json' -d "{\"path\": \"$T/bad\"}"
is "$CODE" 400 "a bad assignment spec is 400"
like "$(jv 'j["field"]')" 'tests\[1\]\.points' "the 400 names the field"
is "$(jv 'j["file"]')" assignment.json "the 400 names the file"

staff POST /assignments -H 'Content-Type: application/json' -d "{\"path\": \"$T/sym\"}"
is "$CODE" 400 "an assignment dir with a symlink is refused"
like "$BODY" 'symlink' "the refusal names the symlink"

staff POST /assignments -H 'Content-Type: application/json' -d "{\"path\": \"$A\"}"
is "$CODE" 201 "POST /api/assignments adds a version"
is "$(jv 'j["version"]')" 1 "first version is 1"
copy=$(jv 'j["path"]')
ok "the assignment dir is copied into the data dir" test -f "$D/$copy/assignment.json"

staff GET /assignments
is "$CODE" 200 "GET /api/assignments"
is "$(jv '[a["tests"] for a in j["assignments"] if a["name"] == "apitest"][0]')" 3 \
	"the list shows the test count"

# --- submissions ---------------------------------------------------------------------------
sub() { staff POST "/submissions?$1" -H 'Content-Type: application/octet-stream' --data-binary "@$2"; }

sub "assignment=apitest&student=alice" "$T/notes.txt"
is "$CODE" 415 "a non-archive upload is 415"
like "$BODY" 'first bytes 6a 75 73 74' "the 415 shows the first bytes"

sub "assignment=apitest&student=alice" "$T/big.tar.gz"
is "$CODE" 413 "a body over --max-body is 413"

sub "assignment=nope&student=alice" "$T/alice.tar.gz"
is "$CODE" 404 "an unknown assignment is 404"
like "$BODY" "no assignment 'nope'" "the 404 names the assignment"

sub "assignment=apitest&student=Alice%20B" "$T/alice.tar.gz"
is "$CODE" 400 "a bad student login is 400"

sub "assignment=apitest&student=alice&filename=alice.tar.gz" "$T/alice.tar.gz"
is "$CODE" 201 "a tarball is accepted"
JOB=$(jv 'j["job_id"]')
SUB=$(jv 'j["submission_id"]')
like "$JOB" '^[0-9]+$' "the reply has a job id"
sha=$(sha256sum "$T/alice.tar.gz" | cut -d' ' -f1)
ok "the blob is stored under its sha256" cmp -s "$D/blobs/$sha" "$T/alice.tar.gz"

# --- routes --------------------------------------------------------------------------------
staff GET /nope
is "$CODE" 404 "an unknown route is 404"
staff DELETE "/jobs/$JOB"
is "$CODE" 405 "a wrong method is 405"
staff GET /jobs/999999
is "$CODE" 404 "an unknown job is 404"

# --- status and results --------------------------------------------------------------------
state=
for _ in $(seq 1 $((API_WAIT * 2))); do
	staff GET "/jobs/$JOB"
	state=$(jv 'j["state"]')
	case $state in done | failed | cancelled) break ;; esac
	sleep 0.5
done
like "$state" '^(done|failed)$' "the job finishes (state '$state')"
is "$(jv 'j["student"]')" alice "job status names the student"
is "$(jv 'j["submission_id"]')" "$SUB" "job status names the submission"
# Each phase is stamped when the worker reaches it, not all at the end: building (gcc) and
# testing take time between them.
is "$(jv 'j["started_at"] <= j["unpacked_at"] < j["built_at"] < j["finished_at"]')" True \
	"phases stamped as reached: started <= unpacked < built < finished" ||
	diag "$(jv '[j[k] for k in ("started_at", "unpacked_at", "built_at", "finished_at")]')"

staff GET "/submissions/$SUB"
is "$CODE" 200 "GET /api/submissions/ID"
staff GET /students/alice/submissions
is "$(jv 'len(j["jobs"])')" 1 "GET /api/students/alice/submissions lists the job"

staff GET "/jobs/$JOB/results"
is "$CODE" 200 "GET /api/jobs/ID/results"
staff_tests=$(jv '",".join(t["name"] for t in j["tests"])')
staff_hidden=$(jv 'sum(1 for t in j["tests"] if t["visibility"] != "visible")')
verdict=$(jv 'j["verdict"]')
note "verdict $verdict, staff sees tests '$staff_tests'"
like "$verdict" '^[A-Z]{2,3}$' "results carry the verdict"

STOK=$(printf '%s:%s' "$TOKEN" alice | sha256sum | cut -d' ' -f1)
req GET "/students/alice/jobs/$JOB/results" -H "Authorization: Bearer $STOK"
is "$CODE" 200 "a student token reads its own results"
is "$(jv '",".join(t["name"] for t in j["tests"] if t["visibility"] != "visible")')" "" \
	"the student sees no hidden or not-yet-due test"
is "$(jv 'j["tests_not_shown"]')" "$staff_hidden" "the student is told how many are not shown"
is "$(jv '"last_error" in j')" False "the student does not see the grader's errors"
req GET /students/bob/submissions -H "Authorization: Bearer $STOK"
is "$CODE" 403 "alice's token does not read bob's results"
req GET "/jobs/$JOB" -H "Authorization: Bearer $STOK"
is "$CODE" 401 "a student token does not open staff routes"

# --- export, batches, regrade, cancel ------------------------------------------------------
staff GET /assignments/apitest/export.csv
is "$CODE" 200 "GET export.csv"
is "$(head -n 1 "$T/body" | tr -d '\r')" "student,vis,hid,late,total,verdict" \
	"the CSV header is student, the tests, total, verdict"
if [ "$state" = "done" ]; then
	like "$(sed -n 2p "$T/body")" '^alice,' "the CSV has alice's row"
	staff GET "/assignments/apitest/gradescope?student=alice"
	is "$(jv '[t["visibility"] for t in j["tests"]]')" "['visible', 'hidden', 'after_published']" \
		"Gradescope export maps the visibilities"
else
	skip "the CSV has alice's row" "the job failed (state $state)"
	skip "Gradescope export maps the visibilities" "the job failed (state $state)"
fi

staff POST "/jobs/$JOB/cancel"
is "$CODE" 409 "cancelling a finished job is 409"
staff POST /jobs/999999/cancel
is "$CODE" 404 "cancelling an unknown job is 404"

staff POST /batches -H 'Content-Type: application/json' -d '{"assignment": "apitest"}'
is "$CODE" 201 "POST /api/batches"
BATCH=$(jv 'j["batch_id"]')
staff GET "/batches/$BATCH"
is "$(jv 'j["total"]')" 0 "a new batch is empty"

staff POST "/submissions/$SUB/regrade"
is "$CODE" 201 "POST /api/submissions/ID/regrade"
RJOB=$(jv 'j["job_id"]')
staff POST "/jobs/$RJOB/cancel"
like "$CODE" '^(200|409)$' "a regrade job can be cancelled (unless it already finished)"

# --- an upload the database cannot record leaves nothing ------------------------------------
# Another process holds the write lock until the server has answered (its event loop waits
# at most 20 ms for a lock, so the answer comes at once; the lock is held for 60 s at most).
mkdir -p "$T/locked"
printf 'int main(void) { return 0; } /* %s */\n' "$RANDOM$RANDOM" >"$T/locked/sum.c"
tar -C "$T/locked" -czf "$T/locked.tar.gz" sum.c
lsha=$(sha256sum "$T/locked.tar.gz" | cut -d' ' -f1)
nsub=$(sqlite3 -cmd '.timeout 5000' "$D/gradebox.db" "SELECT count(*) FROM submissions")
db_lock "$D/gradebox.db" locked || diag "the database lock was not taken"
sub "assignment=apitest&student=lockie" "$T/locked.tar.gz"
is "$CODE" 503 "an upload while the database stays locked is 503"
like "$BODY" 'database busy' "... and says why"
db_unlock locked
is "$(sqlite3 -cmd '.timeout 5000' "$D/gradebox.db" "SELECT count(*) FROM submissions")" "$nsub" \
	"no submission row was left"
is "$(sqlite3 -cmd '.timeout 5000' "$D/gradebox.db" "SELECT count(*) FROM students WHERE login = 'lockie'")" 0 \
	"no student row was left"
ok "the upload's blob was removed" test ! -e "$D/blobs/$lsha"

# --- the CLI -------------------------------------------------------------------------------
export GRADEBOX_SERVER=http://127.0.0.1:$PORT GRADEBOX_DATA=$D
unset GRADEBOX_TOKEN
if "$GB" student-token --help >/dev/null 2>&1; then
	out=$("$GB" assignment list 2>&1) && rc=0 || rc=$?
	like "$out" 'apitest +1 +3' "gradebox assignment list"
	is "$("$GB" student-token alice)" "$STOK" "gradebox student-token matches the server's"

	out=$("$GB" submit --assignment apitest --student bob "$T/notes.txt" 2>&1) && rc=0 || rc=$?
	is "$rc" 1 "gradebox submit of a non-archive exits 1"
	like "$out" 'not a tar/zip archive' "... and prints the server's reason"

	mkdir -p "$T/batch"
	cp "$T/alice.tar.gz" "$T/batch/carol.tar.gz"
	cp "$T/alice.tar.gz" "$T/batch/Dave.tgz"
	cp "$T/notes.txt" "$T/batch/erin.zip"
	out=$("$GB" batch --assignment apitest "$T/batch" 2>"$T/batch.err") && rc=0 || rc=$?
	is "$rc" 1 "gradebox batch with rejected items exits 1"
	like "$out" 'accepted +carol +job [0-9]+' "batch: carol accepted"
	like "$out" 'rejected +[^ ]*Dave.tgz: file name' "batch: a bad student name is rejected locally"
	like "$out" 'rejected +[^ ]*erin.zip: not a tar/zip' "batch: the server's reason is shown"

	out=$("$GB" status "$JOB" 2>&1) && rc=0 || rc=$?
	like "$out" 'student alice' "gradebox status JOB"
	"$GB" results "$JOB" --json >"$T/res.json" 2>&1 || true
	is "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$T/res.json" 2>/dev/null)" \
		"$JOB" "gradebox results --json prints the JSON"
	out=$("$GB" export --assignment apitest --csv 2>&1) && rc=0 || rc=$?
	like "$out" '^student,vis,hid,late,total,verdict' "gradebox export --csv"
	out=$("$GB" cancel "$JOB" 2>&1) && rc=0 || rc=$?
	is "$rc" 1 "gradebox cancel of a finished job exits 1"
	like "$out" 'already finished' "... and says why"
	out=$(GRADEBOX_SERVER=http://127.0.0.1:1 "$GB" status "$JOB" 2>&1) && rc=0 || rc=$?
	is "$rc" 2 "an unreachable server exits 2"
else
	skip "gradebox CLI commands" "main.c does not dispatch the client commands yet"
fi

kill "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true
done_testing
