#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/rss.sh [N]: the server's resident memory over a long batch (default 2000 jobs), sampled
# every 100 finished jobs. Last line: RSS at the start and the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB=$ROOT/build/gradebox
N=${1:-2000}
OUT=${BENCH_OUT:-$ROOT/build/bench/rss}
[ "$(id -u)" = 0 ] || { echo "bench/rss.sh: run as root" >&2; exit 2; }
[ -x "$GB" ] || make -C "$ROOT" -s
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
GB=$(bench_private_gradebox "$ROOT")
rm -rf "$OUT"
mkdir -p "$OUT"
tar -C "$ROOT/submissions/sum/students/alice-good" -czf "$OUT/good.tar.gz" .
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GRADEBOX_DATA=$OUT/data GRADEBOX_SERVER=http://127.0.0.1:$PORT
"$GB" serve --port "$PORT" --slots 2 >"$OUT/server.log" 2>&1 &
SRV=$!
trap 'kill -TERM $SRV 2>/dev/null; wait $SRV 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS "$GRADEBOX_SERVER/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
"$GB" assignment add "$ROOT/submissions/sum/assignment" >/dev/null
rss() { awk '/VmRSS/ { print $2 }' "/proc/$SRV/status"; }
start=$(rss)
for i in $(seq "$N"); do
	"$GB" submit --assignment sum --student "s$i" "$OUT/good.tar.gz" >/dev/null
done
db=$OUT/data/gradebox.db
last=0
while :; do
	d=$(sqlite3 -cmd '.timeout 5000' "$db" "SELECT count(*) FROM jobs WHERE state IN ('done','failed')")
	if [ $((d / 100)) -gt $((last / 100)) ] || [ "$d" = "$N" ]; then
		printf '%6d jobs done  RSS %7d KiB\n' "$d" "$(rss)"
		last=$d
	fi
	[ "$d" = "$N" ] && break
	sleep 1
done
printf 'summary: server RSS %d KiB at start, %d KiB after %d jobs\n' "$start" "$(rss)" "$N"
