#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/latency.sh: status-query latency of `gradebox serve` idle and while every slot grades
# (wrk, loopback only, bounded: 10 s each; CONNS connections, default 4; WRK_PREFIX runs wrk
# under a command such as "nice -n -10"; SLOTS grading slots, default 2; RATE paces the
# queries to about RATE per second in all, default 0: as fast as the server answers). Last
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
${WRK_PREFIX:-} wrk -t1 -c"${CONNS:-4}" -d10s --latency -s "$OUT/auth.lua" "$URL" >"$OUT/idle.txt"
"$GB" batch --assignment sum "$OUT/tarballs" >/dev/null 2>&1 || true
sleep 1
${WRK_PREFIX:-} wrk -t1 -c"${CONNS:-4}" -d10s --latency -s "$OUT/auth.lua" "$URL" >"$OUT/load.txt"
busy=$(curl -fsS "$GRADEBOX_SERVER/api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["busy"])')
p99() { awk '$1 == "99%" { v=$2; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } print v }' "$1"; }
rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
i=$(p99 "$OUT/idle.txt")
l=$(p99 "$OUT/load.txt")
printf 'idle        p99 %8.3f ms  %s req/s\n' "$i" "$(rps "$OUT/idle.txt")"
printf 'grading     p99 %8.3f ms  %s req/s  (%s of 2 slots busy at the end)\n' "$l" "$(rps "$OUT/load.txt")" "$busy"
printf 'summary: status p99 under load / idle = %.2fx\n' "$(echo "$l / $i" | bc -l)"
