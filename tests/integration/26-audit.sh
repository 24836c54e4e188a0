#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The audit trail end to end through the real server: a submission that calls ptrace is killed
# (SV), frozen and snapshotted; its `violation` row names the call and the evidence, whose hash
# is its name; nothing of the sandbox survives; `gradebox evidence get` fetches it verified;
# `gradebox audit verify` passes, and fails naming the row after a row is edited behind the
# server's back (which SQLite refuses while the append-only trigger exists).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

gb_require_server

plan 31
gb_server_env
STUDENT=mallory
start_server() { gb_start_server --slots 1; }
stop_server() {
	kill -TERM "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
}
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
# Descendants of the server running as a sandbox uid (2^20 and up: the mapped ranges).
sandbox_descendants() {
	local p u
	for p in $(gb_descendants "$SRV"); do
		u=$(ps -o uid= -p "$p" 2>/dev/null | tr -d ' ') || continue
		[ -n "$u" ] && [ "$u" -ge 1048576 ] && echo "$p($u $(cat "/proc/$p/comm" 2>/dev/null))"
	done
	return 0
}
# Every sandbox cgroup, and those that look leaked: no slot lock held, no process inside
# (lib.sh's test; a group of ours with a process still in it shows up in the process check).
box_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/gradebox/box-* /sys/fs/cgroup/gradebox/box-*; do
		[ -d "$d" ] && echo "$d"
	done | sort
	return 0
}
leaked_cgroups() { gb_cgroup_leaks 2>/dev/null | sort; }

mkdir -p "$T/asg" "$T/src"
cat >"$T/asg/assignment.json" <<'JSON'
{"name": "tracer", "language": "c", "build": "gcc -O2 -o prog prog.c", "run": "./prog",
 "checker": "tokens", "security": {"on_violation": "flag"},
 "tests": [{"name": "t1", "stdin": "", "expected_stdout": "BLOCKED", "points": 1}]}
JSON
# Leaves something in its writable layer, then asks to be traced: the seccomp policy kills it.
cat >"$T/src/prog.c" <<'C'
#include <stdio.h>
#include <sys/ptrace.h>
int main(void)
{
	FILE *f = fopen("/box/loot.txt", "w");
	if (f) {
		fputs("stolen goods\n", f);
		fclose(f);
	}
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0) {
		puts("ESCAPED");
		return 0;
	}
	puts("BLOCKED");
	return 0;
}
C
tar -C "$T/src" -czf "$T/$STUDENT.tar.gz" prog.c

cg_before=$(box_cgroups)
ok "server starts" start_server
ok "assignment added" bash -c "'$GB' assignment add '$T/asg' >/dev/null"
job=$("$GB" submit --assignment tracer --student "$STUDENT" "$T/$STUDENT.tar.gz" | sed -n 's/^submission [0-9]* job \([0-9]*\)$/\1/p')
sub=$(q "SELECT submission_id FROM jobs WHERE id = ${job:-0}")
# Watch for sandbox processes while the job runs, so "none after" is not vacuous by accident.
seen=
for _ in $(seq 600); do
	if [ -z "$seen" ]; then
		seen=$(sandbox_descendants)
		seen=${seen%%$'\n'*}
	fi
	state=$(q "SELECT state FROM jobs WHERE id = ${job:-0}")
	case $state in done | failed | cancelled) break ;; esac
	sleep 0.1
done
is "$state" "done" "job $job finished"
# Who added the assignment and the submission (the staff token, from loopback).
is "$(q "SELECT json_extract(detail, '\$.by') FROM audit WHERE kind = 'assignment_add'")" \
	"staff@127.0.0.1" "the assignment_add row says who added it"
is "$(q "SELECT json_extract(detail, '\$.by') FROM audit WHERE kind = 'submission_add' AND submission_id = ${sub:-0}")" \
	"staff@127.0.0.1" "the submission_add row says who uploaded it"
is "$(q "SELECT verdict FROM verdicts WHERE job_id = ${job:-0}")" "SV" "verdict SV"
note "a sandbox process seen while the job ran: ${seen:-none (too fast to catch)}"

# (a) the violation row
"$GB" audit list --submission "$sub" --kind violation --json >"$T/viol.json"
"$PY" - "$T/viol.json" >"$T/viol.txt" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
r = rows[0] if rows else {}
d = r.get("detail") or {}
print(len(rows))
print(r.get("id", ""))
print(d.get("syscall", ""))
print("true" if d.get("frozen") is True else "false")
print(len(d.get("process_tree") or ""))
print(d.get("evidence", ""))
print(d.get("evidence_sha256", ""))
print(r.get("student", ""))
print(r.get("job_id", ""))
PY
mapfile -t V <"$T/viol.txt"
is "${V[0]}" "1" "one violation row for the submission"
VID=${V[1]}
is "${V[2]}" "ptrace" "the row names the denied call"
is "${V[3]}" "true" "the sandbox was frozen"
cmp_ok "${V[4]}" ">" 0 "the row carries the process tree"
is "${V[7]}/${V[8]}" "$STUDENT/$job" "the row names the student and the job"
SHA=${V[6]}
EV=$T/data/evidence/${V[5]}
is "${V[5]}" "$SHA.tar.gz" "the evidence file is named by its sha256"
ok "the evidence file exists in DATA/evidence" test -f "$EV"
is "$(sha256sum "$EV" 2>/dev/null | cut -d' ' -f1)" "$SHA" "sha256sum of the evidence matches the row"
tar -tzf "$EV" >"$T/ev.list" 2>/dev/null || true
ok "the evidence holds upper/box/loot.txt" grep -qx 'upper/box/loot.txt' "$T/ev.list"
ok "the evidence holds VIOLATION.json and PROCESS_TREE.txt" \
	bash -c "grep -qx VIOLATION.json '$T/ev.list' && grep -qx PROCESS_TREE.txt '$T/ev.list'"

left=
for _ in $(seq 30); do
	left=$(sandbox_descendants)
	[ -z "$left" ] && break
	sleep 0.1
done
is "$left" "" "no sandbox process (uid >= 2^20) among the server's descendants after the job"
new_cg=
for _ in $(seq 30); do
	new_cg=$(comm -13 <(echo "$cg_before") <(leaked_cgroups))
	[ -z "$new_cg" ] && break
	sleep 0.1 # a supervisor may release its slot just before it removes its groups
done
is "$new_cg" "" "no gradebox/box-* cgroup left that was not there before"

rm -f "$T/got.tar.gz"
ok "gradebox evidence get downloads it" "$GB" evidence get "$SHA" -o "$T/got.tar.gz" 2>/dev/null
is "$(sha256sum "$T/got.tar.gz" 2>/dev/null | cut -d' ' -f1)" "$SHA" "the download has the same sha256"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/data/token")" \
	"$GRADEBOX_SERVER/api/evidence/..%2F..%2Ftoken")
is "$code" "404" "an evidence name that is not <sha256>.tar.gz is refused"
code=$(curl -s -o /dev/null -w '%{http_code}' "$GRADEBOX_SERVER/api/evidence/$SHA.tar.gz")
is "$code" "401" "evidence needs the staff token"

# (c) the listing by kind and student
out=$("$GB" audit list --kind violation --student "$STUDENT")
line=$(grep -E "^$VID " <<<"$out" || true)
like "$line" "^$VID +[0-9-]+ [0-9:]+Z +violation +$sub +$STUDENT +.*syscall=ptrace" \
	"audit list --kind violation --student shows the row"

# Staff actions name who asked.
"$GB" regrade "$sub" >/dev/null
rjob=$(q "SELECT max(id) FROM jobs")
for _ in $(seq 600); do
	case $(q "SELECT state FROM jobs WHERE id = $rjob") in done | failed | cancelled) break ;; esac
	sleep 0.1
done
out=$("$GB" audit list --submission "$sub" --kind regrade_request)
like "$out" "regrade_request +$sub +$STUDENT +by=staff@127\.0\.0\.1" "a regrade names who asked"
out=$("$GB" audit list --kind evidence_get --json)
like "$out" "\"file\": \"$SHA\.tar\.gz\"" "the evidence download is in the audit trail"

# (b) the chain
out=$("$GB" audit verify) && rc=0 || rc=$?
like "$out" "^audit chain intact: [0-9]+ rows$" "audit verify: intact"
is "$rc" "0" "audit verify exits 0"
stop_server
err=$(sqlite3 "$DB" "UPDATE audit SET detail='{\"x\":1}' WHERE id=$VID;" 2>&1) && rc=0 || rc=$?
if [ "$rc" != 0 ] && [[ $err == *append-only* ]]; then _pass "a direct UPDATE is refused by the trigger"; else
	_fail "a direct UPDATE is refused by the trigger"
	diag "sqlite3 exit $rc: $err"
fi
sqlite3 "$DB" "DROP TRIGGER audit_no_update; UPDATE audit SET detail='{\"x\":1}' WHERE id=$VID;"
ok "server restarts" start_server
out=$("$GB" audit verify) && rc=0 || rc=$?
like "$out" "^audit chain broken at row $VID: " "audit verify names the tampered row $VID"
is "$rc" "1" "audit verify exits 1"
stop_server
[ -s "$T/server.log" ] && note "server log (tail):" "$(tail -n 5 "$T/server.log")"
done_testing
