#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/throughput.sh [RUNS]: sandboxed runs per second with 2 parallel workers, in one run:
# bare /bin/true, unshare (util-linux), bwrap (Debian's bubblewrap), `gradebox run --cold` and
# `gradebox run` served by a warm pool (`gradebox pool --sandboxes 2`, started here on a private
# socket and stopped at the end), each RUNS times (default 400) through `xargs -P 2`, which
# execs each command directly (no shell in between). A sixth row is how gradebox's own graders
# run sandboxes: a long-lived process issuing runs, each in a fresh sandbox (`gradebox run
# --cold --repeat RUNS/2`, two of them in parallel); bwrap has no such mode, so its row stays one
# process per run. CPU is busy time of all cores from /proc/stat, per run. Last line: the
# ratios.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB=$ROOT/build/gradebox
RUNS=${1:-400}
OUT=${OUT:-$ROOT/build/bench}
[ "$(id -u)" = 0 ] || {
	echo "bench/throughput.sh: run as root" >&2
	exit 2
}
command -v bwrap >/dev/null || apt-get install -y -qq bubblewrap >/dev/null
[ -x "$GB" ] || make -C "$ROOT" -s
mkdir -p "$OUT"

export GRADEBOX_POOL_SOCKET=$OUT/throughput-pool.sock
rm -f "$GRADEBOX_POOL_SOCKET"
"$GB" pool --sandboxes 2 >"$OUT/throughput-pool.log" 2>&1 &
pool=$!
trap 'kill -TERM $pool 2>/dev/null; wait $pool 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$GRADEBOX_POOL_SOCKET" ] && break; sleep 0.05; done
sleep 0.5

declare -A cmd=(
	[bare]="/bin/true"
	[unshare]="unshare --user --map-root-user --pid --fork --mount --net --ipc --uts /bin/true"
	[bwrap]="bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev --tmpfs /tmp /bin/true"
	[gradebox-cold]="$GB run --quiet --cold -- /bin/true"
	[gradebox-warm]="$GB run --quiet -- /bin/true"
	[gradebox-repeat]="$GB run --quiet --cold --repeat $((RUNS / 2)) -- /bin/true"
)
busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
declare -A rate
hz=$(getconf CLK_TCK)
echo "# $(uname -sr), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS runs each, 2 workers"
for name in bare unshare bwrap gradebox-cold gradebox-warm gradebox-repeat; do
	n=$RUNS runs=$RUNS
	[ "$name" = gradebox-repeat ] && n=2 runs=$((RUNS / 2 * 2)) # two processes of RUNS/2 runs
	b0=$(busy)
	t0=$(date +%s.%N)
	# -n 1 appends the sequence number as an argument; /bin/true ignores it.
	# shellcheck disable=SC2086 # the command is a word list
	seq "$n" | xargs -P 2 -n 1 ${cmd[$name]} >/dev/null 2>&1
	t1=$(date +%s.%N)
	b1=$(busy)
	rate[$name]=$(echo "$runs / ($t1 - $t0)" | bc -l)
	cpu=$(echo "($b1 - $b0) * 1000 / $hz / $runs" | bc -l)
	printf '%-14s %8.1f runs/s  %6.2f ms CPU per run\n' "$name" "${rate[$name]}" "$cpu"
done
printf 'summary: runs/s with 2 workers: gradebox repeat/bwrap = %.2fx, warm/bwrap = %.2fx, cold/bwrap = %.2fx, warm/unshare = %.2fx, warm/bare = %.2fx\n' \
	"$(echo "${rate[gradebox-repeat]} / ${rate[bwrap]}" | bc -l)" \
	"$(echo "${rate[gradebox-warm]} / ${rate[bwrap]}" | bc -l)" \
	"$(echo "${rate[gradebox-cold]} / ${rate[bwrap]}" | bc -l)" \
	"$(echo "${rate[gradebox-warm]} / ${rate[unshare]}" | bc -l)" \
	"$(echo "${rate[gradebox-warm]} / ${rate[bare]}" | bc -l)"
