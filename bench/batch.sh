#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/batch.sh [N]: grading throughput. N copies (default 200) of the sum assignment's good
# submission, each under its own student name, are graded by `gradebox serve --slots 2` (both
# cores busy), and the same work (gcc + the 5 tests + the output check) is done bare with 2
# parallel workers. Prints submissions/s for both and the ratio; the last line is the summary.
# Also reports the server's peak RSS (/usr/bin/time -v) and its RSS before and after.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB=$ROOT/build/gradebox
N=${1:-200}
ASG=$ROOT/submissions/sum/assignment
SRC=$ROOT/submissions/sum/students/alice-good
OUT=${BENCH_OUT:-$ROOT/build/bench/batch}
[ "$(id -u)" = 0 ] || { echo "bench/batch.sh: run as root" >&2; exit 2; }
[ -x "$GB" ] || make -C "$ROOT" -s
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
GB=$(bench_private_gradebox "$ROOT")
rm -rf "$OUT"
mkdir -p "$OUT/tarballs" "$OUT/bare" "$OUT/tests"

# The tests as files: stdin and expected stdout.
python3 - "$ASG" "$OUT/tests" <<'PY'
import json, sys, shutil, os
asg, out = sys.argv[1], sys.argv[2]
spec = json.load(open(os.path.join(asg, "assignment.json")))
for i, t in enumerate(spec["tests"]):
    if "input" in t: shutil.copy(os.path.join(asg, t["input"]), f"{out}/{i}.in")
    else: open(f"{out}/{i}.in", "w").write(t.get("stdin", ""))
    if "expected" in t: shutil.copy(os.path.join(asg, t["expected"]), f"{out}/{i}.out")
    else: open(f"{out}/{i}.out", "w").write(t.get("expected_stdout", ""))
PY
for i in $(seq -w 1 "$N"); do
	tar -C "$SRC" -czf "$OUT/tarballs/s$i.tar.gz" .
done

# ---- bare: unpack, gcc, 5 tests, token comparison; two at a time ----
cat >"$OUT/bare-one.sh" <<'SH'
set -e
d=$(mktemp -d "$2/one.XXXXXX")
tar -C "$d" -xzf "$1"
cd "$d"
gcc -O2 -o sum sum.c
for inp in "$3"/*.in; do
	./sum <"$inp" >out.txt
	diff -qw out.txt "${inp%.in}.out" >/dev/null
done
cd / && rm -rf "$d"
SH
t0=$(date +%s.%N)
find "$OUT/tarballs" -name "*.tar.gz" -print0 | xargs -0 -P 2 -I{} bash "$OUT/bare-one.sh" {} "$OUT/bare" "$OUT/tests"
t1=$(date +%s.%N)
bare=$(echo "$t1 - $t0" | bc -l)

# ---- gradebox: the real server, 2 slots ----
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GRADEBOX_DATA=$OUT/data GRADEBOX_SERVER=http://127.0.0.1:$PORT
/usr/bin/time -v -o "$OUT/server.time" "$GB" serve --port "$PORT" --slots 2 >"$OUT/server.log" 2>&1 &
TPID=$!
trap 'kill -TERM $(pgrep -P $TPID) 2>/dev/null || true; wait $TPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS "$GRADEBOX_SERVER/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
SRV=$(pgrep -P "$TPID")
"$GB" assignment add "$ASG" >/dev/null
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$SRV/status")
t0=$(date +%s.%N)
"$GB" batch --assignment sum --wait "$OUT/tarballs" >"$OUT/batch.log" 2>&1 || true
t1=$(date +%s.%N)
rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$SRV/status")
gb=$(echo "$t1 - $t0" | bc -l)
kill -TERM "$SRV"
wait "$TPID" 2>/dev/null || true
trap - EXIT
peak=$(awk -F': ' '/Maximum resident/ { print $2 }' "$OUT/server.time")
ac=$(grep -c ' AC ' "$OUT/batch.log" || true)

printf 'submissions          %d (gcc + 5 tests each, 2 parallel workers)\n' "$N"
printf 'bare                 %.2f s  %.1f submissions/s\n' "$bare" "$(echo "$N / $bare" | bc -l)"
printf 'gradebox serve       %.2f s  %.1f submissions/s  (%d AC)\n' "$gb" "$(echo "$N / $gb" | bc -l)" "$ac"
printf 'server RSS           %s KiB before, %s KiB after, %s KiB peak\n' "$rss0" "$rss1" "$peak"
printf 'summary: batch of %d: gradebox/bare = %.2fx, %.1f vs %.1f submissions/s\n' "$N" \
	"$(echo "$gb / $bare" | bc -l)" "$(echo "$N / $gb" | bc -l)" "$(echo "$N / $bare" | bc -l)"
