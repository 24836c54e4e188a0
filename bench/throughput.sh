#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/throughput.sh [RUNS]: sandboxed runs per second with 2 parallel workers, in one run:
# bare /bin/true, unshare (util-linux), bwrap (Debian's bubblewrap) and `gradebox run`, each
# RUNS times (default 400) through `xargs -P 2`. Last line: the ratios.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB=$ROOT/build/gradebox
RUNS=${1:-400}
[ "$(id -u)" = 0 ] || { echo "bench/throughput.sh: run as root" >&2; exit 2; }
for p in bubblewrap hyperfine; do
	command -v "${p/bubblewrap/bwrap}" >/dev/null || apt-get install -y -qq "$p" >/dev/null
done
[ -x "$GB" ] || make -C "$ROOT" -s

declare -A cmd=(
	[bare]="/bin/true"
	[unshare]="unshare --user --map-root-user --pid --fork --mount --net --ipc --uts /bin/true"
	[bwrap]="bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev --tmpfs /tmp /bin/true"
	[gradebox]="$GB run --quiet -- /bin/true"
)
declare -A rate
for name in bare unshare bwrap gradebox; do
	t0=$(date +%s.%N)
	seq "$RUNS" | xargs -P 2 -I{} sh -c "${cmd[$name]} >/dev/null 2>&1"
	t1=$(date +%s.%N)
	rate[$name]=$(echo "$RUNS / ($t1 - $t0)" | bc -l)
	printf '%-9s %8.1f runs/s  (%d runs, 2 workers)\n' "$name" "${rate[$name]}" "$RUNS"
done
printf 'summary: runs/s with 2 workers: gradebox/bwrap = %.2fx, gradebox/unshare = %.2fx, gradebox/bare = %.2fx\n' \
	"$(echo "${rate[gradebox]} / ${rate[bwrap]}" | bc -l)" \
	"$(echo "${rate[gradebox]} / ${rate[unshare]}" | bc -l)" \
	"$(echo "${rate[gradebox]} / ${rate[bare]}" | bc -l)"
