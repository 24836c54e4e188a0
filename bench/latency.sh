#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/latency.sh: status-query latency of `gradebox serve` idle and while every slot grades
# (wrk, loopback only, bounded: 10 s each; CONNS connections, default 4; WRK_PREFIX runs wrk
# under a command such as "nice -n -10"; SLOTS grading slots, default 2; RATE paces the
# queries to about RATE per second in all, default 0: as fast as the server answers;
# SCHED_TRACE=1 records the scheduler's events during both runs with `perf` and counts the
# wake-ups of the server's event loop and of wrk that waited over 1 and 3 ms for a CPU). Last
# line: p99 under load / p99 idle.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB=$ROOT/build/gradebox
OUT=${BENCH_OUT:-$ROOT/build/bench/latency}
N=${N:-120}
[ "$(id -u)" = 0 ] || { echo "bench/latency.sh: run as root" >&2; exit 2; }
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
[ -x "$GB" ] || make -C "$ROOT" -s
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
GB=$(bench_private_gradebox "$ROOT")
rm -rf "$OUT"
mkdir -p "$OUT/tarballs"
for i in $(seq -w 1 "$N"); do
	tar -C "$ROOT/submissions/sum/students/alice-good" -czf "$OUT/tarballs/s$i.tar.gz" .
done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GRADEBOX_DATA=$OUT/data GRADEBOX_SERVER=http://127.0.0.1:$PORT
"$GB" serve --port "$PORT" --slots "${SLOTS:-2}" >"$OUT/server.log" 2>&1 &
SRV=$!
trap 'kill -TERM $SRV 2>/dev/null; wait $SRV 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS "$GRADEBOX_SERVER/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
"$GB" assignment add "$ROOT/submissions/sum/assignment" >/dev/null
"$GB" submit --assignment sum --student probe "$OUT/tarballs/s$(printf '%0*d' ${#N} 1).tar.gz" >/dev/null
sleep 3
TOKEN=$(cat "$OUT/data/token")
cat >"$OUT/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
# Paced: each connection waits CONNS*1000/RATE ms before each request (wrk's delay() hook),
# like students polling their results, instead of a closed loop that keeps the server busy.
if [ "${RATE:-0}" -gt 0 ]; then
	echo "function delay() return $(((${CONNS:-4} * 1000 + RATE / 2) / RATE)) end" >>"$OUT/auth.lua"
fi
URL=$GRADEBOX_SERVER/api/jobs/1
# run_wrk NAME: 10 s of queries into $OUT/NAME.txt; with SCHED_TRACE=1 under `perf record` of
# the scheduler's events into $OUT/NAME.sched.
run_wrk() {
	local trace=()
	if [ "${SCHED_TRACE:-0}" = 1 ]; then
		trace=(perf record -q -o "$OUT/$1.sched" -e sched:sched_switch -e sched:sched_wakeup -a --)
	fi
	${WRK_PREFIX:-} "${trace[@]}" wrk -t1 -c"${CONNS:-4}" -d10s --latency -s "$OUT/auth.lua" "$URL" >"$OUT/$1.txt"
}
# count_waits NAME: how long the server's event loop (its main thread: tid = pid) and wrk's
# thread waited for a CPU after each wake-up, from `perf sched timehist` (columns: time, cpu,
# task[tid] or task[tid/pid], wait, sched delay in ms, run).
count_waits() {
	perf sched timehist -i "$OUT/$1.sched" 2>/dev/null >"$OUT/$1.timehist" || true
	awk -v phase="$1" -v srv="[$SRV]" '
		function add(w) { n[w]++; if ($5 > 1) a[w]++; if ($5 > 3) b[w]++; if ($5 > m[w]) m[w] = $5 }
		substr($3, length($3) - length(srv) + 1) == srv { add("server") }
		index($3, "wrk[") == 1 { add("wrk") }
		END { for (w in n) printf "%-8s %-6s %5d wake-ups, %4d waited > 1 ms for a CPU, %4d > 3 ms (max %.2f ms)\n", phase, w, n[w], a[w], b[w], m[w] }' "$OUT/$1.timehist" | sort -k2
}
if [ "${SCHED_TRACE:-0}" = 1 ]; then
	command -v perf >/dev/null || { echo "bench/latency.sh: SCHED_TRACE=1 needs perf" >&2; exit 2; }
fi
run_wrk idle
"$GB" batch --assignment sum "$OUT/tarballs" >/dev/null 2>&1 || true
sleep 1
run_wrk load
busy=$(curl -fsS "$GRADEBOX_SERVER/api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["busy"])')
p99() { awk '$1 == "99%" { v=$2; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } print v }' "$1"; }
rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
i=$(p99 "$OUT/idle.txt")
l=$(p99 "$OUT/load.txt")
printf 'idle        p99 %8.3f ms  %s req/s\n' "$i" "$(rps "$OUT/idle.txt")"
printf 'grading     p99 %8.3f ms  %s req/s  (%s of 2 slots busy at the end)\n' "$l" "$(rps "$OUT/load.txt")" "$busy"
if [ "${SCHED_TRACE:-0}" = 1 ]; then
	count_waits idle
	count_waits load
fi
printf 'summary: status p99 under load / idle = %.2fx\n' "$(echo "$l / $i" | bc -l)"
