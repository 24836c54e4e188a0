#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs INSIDE the cgroup-v2 VM (tests/integration/40-cgroup-v2-vm.sh boots it once): the
# sandbox's v2 code path for real. Code runs 7-40x slower here (TCG), so the checks are few and
# their limits generous.
set -euo pipefail
# shellcheck source=../../lib.sh
source "$(dirname "$0")/../../lib.sh"
GB_TIMEOUT=120

[ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "not a cgroup v2 host"
plan 24

gb_run -- /bin/true
is_status OK "v2: /bin/true runs"
like "$(cat /sys/fs/cgroup/cgroup.subtree_control)" "memory" "v2: memory controller delegated"

gb_run -- /probes/selfinfo
like "$(kv "$GB_OUT" CapEff)" "^0+$" "v2: CapEff empty"
like "$(kv "$GB_OUT" cgroup)" "^0::/$" "v2: cgroup namespace rooted at the sandbox's group"

gb_run --memory 64M -- /probes/memhog 256
is_status ML "v2: memory hog -> ML (memory.events oom_kill)"

gb_run --cpu-time 0.5 --wall-time 30 -- /probes/cpuspin 10000
is_status TO "v2: CPU spin -> TO (cpu.stat usage_usec)"

gb_run --wall-time 1 -- /probes/sleeper 30
is_status WT "v2: sleep -> WT"

gb_run --pids 16 --wall-time 30 -- /probes/forkbomb
like "$GB_STATUS" "^(OK|RE|SG)$" "v2: fork bomb contained by pids.max (status $GB_STATUS)"

gb_run --output-limit 64K -- /probes/flood 1000000
is_status OL "v2: output flood -> OL"

gb_run -- /probes/try-syscall int80
is_status SV "v2: int 0x80 -> SV"
is "$(json_field "$GB_JSON" denied_syscall)" "i386:getpid" "v2: the i386 call is named"

# On v2 a task's niceness counts only inside its group: a sandbox started at nice 10 (as the
# graders run theirs) carries nice 10's weight, 11, on its group; one at nice 0 keeps 100.
box_weight() { # NICE: the cpu.weight of the box a sleeping run started at NICE gets
	local w="" pid
	nice -n "$1" "$GB_RUN_BIN" run --cold --quiet -- /bin/sleep 4 >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 400); do
		w=$(cat /sys/fs/cgroup/gradebox/box-*/cpu.weight 2>/dev/null | head -n 1)
		[ -n "$w" ] && break
		sleep 0.05
	done
	wait "$pid" || true
	echo "$w"
}
is "$(box_weight 10)" 11 "v2: a sandbox started at nice 10 weighs 11 (cpu.weight), as nice 10 does"
is "$(box_weight 0)" 100 "v2: one started at nice 0 keeps the default weight, 100"

# The grading pipeline on v2: unpack, build and tests, each in its own sandbox.
mkdir -p "$T/good"
tar -C "$ROOT/submissions/sum/students/alice-good" -czf "$T/good/alice.tar.gz" .
"$GB" grade --json "$ROOT/submissions/sum/assignment" "$T/good/alice.tar.gz" >"$T/grade.json" 2>"$T/grade.err" || true
is "$(json_field "$T/grade.json" verdict)" "AC" "v2: the pipeline grades a good submission AC"
tar -C "$ROOT/submissions/sum/students/mallory-ptrace" -czf "$T/good/mallory.tar.gz" .
"$GB" grade --json "$ROOT/submissions/sum/assignment" "$T/good/mallory.tar.gz" >"$T/grade2.json" 2>>"$T/grade.err" || true
is "$(json_field "$T/grade2.json" verdict)" "SV" "v2: ptrace in a test -> SV (frozen with cgroup.freeze, killed)"

# Runs from one process (--repeat): a fresh v2 cgroup per run, one kept network namespace.
gb_run --cold --repeat 2 -- /bin/true
is "$GB_RC/$(grep -c 'runs done, 2 OK' "$GB_LOG")" "0/1" "v2: --repeat 2 of /bin/true: both OK" || gb_diag
gb_run --cold --repeat 2 --memory 64M -- /probes/memhog 256
is "$(grep -c 'status ML' "$GB_LOG")" 2 "v2: --repeat 2 of a memory hog: each run -> ML" || gb_diag

# The warm pool on v2: boxes born in their cgroup (CLONE_INTO_CGROUP) before the program is
# known; a request's limits rewrite memory.max.
export GRADEBOX_POOL_SOCKET=$T/pool.sock
"$GB" pool --sandboxes 1 --bind-ro "$PROBES:/probes" >"$T/pool.log" 2>&1 &
pool=$!
bg_track "$pool"
for _ in $(seq 600); do [ -S "$GRADEBOX_POOL_SOCKET" ] && break; sleep 0.1; done
sleep 2
gb_run -- /probes/selfinfo
is "$(json_field "$GB_JSON" pool)/$GB_STATUS" "true/OK" "v2: the pool serves a run" || gb_diag
like "$(kv "$GB_OUT" cgroup)" "^0::/$" "v2: a warm box's cgroup namespace is rooted at its group"
gb_run --memory 64M -- /probes/memhog 256
is "$(json_field "$GB_JSON" pool)/$GB_STATUS" "true/ML" "v2: a warm run's memory limit holds (memory.max rewritten) -> ML"
# The pool builds its boxes at nice 19 with the default weight; a request from nice 10 rewrites
# its box's cpu.weight to 11 for the run.
nice -n 10 "$GB_RUN_BIN" run --quiet --bind-ro "$PROBES:/probes" --result "$T/wnice.json" \
	-- /probes/sleeper 3 >/dev/null 2>&1 &
wpid=$!
w=""
for _ in $(seq 400); do
	w=$(grep -lx 11 /sys/fs/cgroup/gradebox/box-*/cpu.weight 2>/dev/null | head -n 1)
	[ -n "$w" ] && break
	sleep 0.05
done
wait "$wpid" || true
is "$(json_field "$T/wnice.json" pool)/${w:+weight 11}" "true/weight 11" \
	"v2: a warm run started at nice 10 runs in a box whose cpu.weight was rewritten to 11"
kill -TERM "$pool"
rc=0
wait "$pool" || rc=$?
is "$rc" 0 "v2: the pool stops on SIGTERM"
unset GRADEBOX_POOL_SOCKET

left=$( (find /sys/fs/cgroup/gradebox -mindepth 1 -maxdepth 1 -type d -name 'box-*' 2>/dev/null || true) | wc -l)
is "$left" 0 "v2: no sandbox cgroup left behind"
ok "v2: the gradebox/ parent went with the last sandbox" test ! -d /sys/fs/cgroup/gradebox
done_testing
