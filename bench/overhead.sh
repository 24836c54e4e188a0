#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start-up overhead of `gradebox run` against a bare exec, util-linux `unshare` and Debian's
# bubblewrap, for /bin/true and for a static 50 ms CPU-bound program, in ONE hyperfine run
# (same machine state for all ten commands). gradebox is timed twice: cold (`--cold`: the
# sandbox is built for the run) and warm (served by a `gradebox pool` this script starts on a
# private socket, two sandboxes, and stops at the end). Prints a table, the ratios vs bare and vs
# bwrap, and a one-line summary last. Needs no network unless hyperfine or bwrap is missing.
#
#   bench/overhead.sh [OUTDIR]        (default build/bench; writes overhead.json there)
#   RUNS=300 WARMUP=20 SPIN_MS=50     overridable through the environment
#   GAP_MS=30                         idle time before each run (hyperfine --prepare sleep):
#                                     no run shares the CPU with the end of the one before
#   BENCH_REQUIRE_GRADEBOX=1          fail instead of benchmarking without gradebox
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/build/bench}
RUNS=${RUNS:-300}
WARMUP=${WARMUP:-20}
SPIN_MS=${SPIN_MS:-50}
GB=${GRADEBOX:-$ROOT/build/gradebox}
PROBES=$ROOT/build/tests/probes
SPIN=$PROBES/cpuspin
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi

die() {
	echo "overhead.sh: $*" >&2
	exit 1
}

# ---- tools -------------------------------------------------------------------------------

missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v unshare >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install -y ${missing[*]})"
	echo "overhead.sh: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
		die "could not install ${missing[*]}"
fi

# The CPU-bound program: the static probe (no loader, same binary in every sandbox).
[ -x "$SPIN" ] || make -C "$ROOT" -s build/tests/probes/cpuspin >&2 || die "cannot build $SPIN"

mkdir -p "$OUT"
gb_ok=1
if [ ! -x "$GB" ]; then
	make -C "$ROOT" -s build/gradebox >"$OUT/make.log" 2>&1 || gb_ok=0
fi
# Time a private copy: others rebuild the shared tree, and a binary being relinked mid-run
# fails to exec. The copy finds the policies through GRADEBOX_POLICY_DIR.
if [ $gb_ok = 1 ]; then
	export GRADEBOX_POLICY_DIR=${GRADEBOX_POLICY_DIR:-$ROOT/policies}
	# The front door execs its siblings (the runner for cold runs and the pool): copy them too.
	cp "$GB" "$OUT/gradebox" && cp "$(dirname "$GB")/gradebox-run" "$OUT/gradebox-run" || gb_ok=0
	GB=$OUT/gradebox
fi
if [ $gb_ok = 1 ] && ! "$GB" run -- /bin/true </dev/null >"$OUT/gbcheck.log" 2>&1; then
	gb_ok=0
fi
POOL_PID=
stop_pool() {
	[ -n "$POOL_PID" ] || return 0
	kill -TERM "$POOL_PID" 2>/dev/null || true
	wait "$POOL_PID" 2>/dev/null || true
	POOL_PID=
}
trap stop_pool EXIT
if [ $gb_ok = 1 ]; then
	# The spin case binds the probes: the pool's boxes are built with the same bind.
	export GRADEBOX_POOL_SOCKET=$OUT/pool.sock
	rm -f "$GRADEBOX_POOL_SOCKET"
	"$GB" pool --sandboxes 2 --bind-ro "$PROBES:/probes" >"$OUT/pool.log" 2>&1 &
	POOL_PID=$!
	for _ in $(seq 100); do [ -S "$GRADEBOX_POOL_SOCKET" ] && break; sleep 0.05; done
	sleep 0.5
	"$GB" run --result "$OUT/warm.json" --bind-ro "$PROBES:/probes" -- /bin/true </dev/null \
		>/dev/null 2>&1 || true
	if ! grep -q '"pool": true' "$OUT/warm.json" 2>/dev/null; then
		die "the warm pool does not serve runs ($(tail -n 1 "$OUT/pool.log"))"
	fi
fi
if [ $gb_ok = 0 ]; then
	[ "${BENCH_REQUIRE_GRADEBOX:-0}" = 1 ] && die "'$GB run -- /bin/true' does not work"
	echo "overhead.sh: WARNING: '$GB run -- /bin/true' does not work; benchmarking without it" \
		"($(cat "$OUT/gbcheck.log" "$OUT/make.log" 2>/dev/null | grep . | tail -n 1))" >&2
fi

# ---- the commands ------------------------------------------------------------------------

UNSHARE="unshare --user --map-root-user --pid --fork --mount --net --ipc --uts"
BWRAP="bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin"
BWRAP+=" --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev --tmpfs /tmp"
BWRAP_SPIN="$BWRAP --ro-bind $PROBES /probes"

GBR="$GB run --quiet --bind-ro $PROBES:/probes"
names=(true:bare true:unshare true:bwrap)
cmds=("/bin/true" "$UNSHARE /bin/true" "$BWRAP /bin/true")
[ $gb_ok = 1 ] && names+=(true:gradebox-cold true:gradebox-warm) &&
	cmds+=("$GBR --cold -- /bin/true" "$GBR -- /bin/true")
names+=(spin:bare spin:unshare spin:bwrap)
cmds+=("$SPIN $SPIN_MS" "$UNSHARE $SPIN $SPIN_MS" "$BWRAP_SPIN /probes/cpuspin $SPIN_MS")
[ $gb_ok = 1 ] && names+=(spin:gradebox-cold spin:gradebox-warm) &&
	cmds+=("$GBR --cold -- /probes/cpuspin $SPIN_MS" "$GBR -- /probes/cpuspin $SPIN_MS")

# Every command must work before we time it (hyperfine would stop at the first failure).
for i in "${!cmds[@]}"; do
	# shellcheck disable=SC2086 # the command strings are word lists, as hyperfine -N splits them
	${cmds[$i]} >/dev/null 2>&1 </dev/null || die "'${cmds[$i]}' fails; not benchmarking"
done

args=()
for i in "${!cmds[@]}"; do
	args+=(--command-name "${names[$i]}" "${cmds[$i]}")
done

echo "# $(uname -sr), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(hyperfine --version)"
echo "# runs $RUNS, warmup $WARMUP, idle gap ${GAP_MS:-0} ms, CPU-bound program: cpuspin $SPIN_MS (static, ${SPIN_MS} ms CPU)"
gap=()
[ "${GAP_MS:-0}" -gt 0 ] && gap=(--prepare "sleep $(printf '0.%03d' "$GAP_MS")")
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond --style basic "${gap[@]}" \
	--export-json "$OUT/overhead.json" "${args[@]}" >"$OUT/hyperfine.txt" 2>&1 ||
	{
		cat "$OUT/hyperfine.txt" >&2
		die "hyperfine failed"
	}

# ---- table, ratios, summary --------------------------------------------------------------

"$PY" - "$OUT/overhead.json" "$SPIN_MS" <<'EOF'
import json, sys

res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
spin_ms = sys.argv[2]
ms = lambda s: s * 1e3
label = {"true": "/bin/true", "spin": "cpuspin %s" % spin_ms}
tools = ["bare", "unshare", "bwrap", "gradebox-cold", "gradebox-warm"]

print("%-28s %10s %9s %10s %9s %9s %10s %9s" % ("command", "mean ms", "+- sd", "median",
      "min", "max", "vs bare", "vs bwrap"))
summary = []
for w in ("true", "spin"):
    bare = res.get(w + ":bare")
    bw = res.get(w + ":bwrap")
    for t in tools:
        r = res.get("%s:%s" % (w, t))
        if not r:
            continue
        vb = r["mean"] / bare["mean"] if bare else float("nan")
        vw = r["mean"] / bw["mean"] if bw else float("nan")
        print("%-28s %10.3f %9.3f %10.3f %9.3f %9.3f %9.2fx %8.2fx" % (
            "%s %s" % (t, label[w]), ms(r["mean"]), ms(r["stddev"] or 0), ms(r["median"]),
            ms(r["min"]), ms(r["max"]), vb, vw))
    print()
    for t in ("unshare", "bwrap", "gradebox-cold", "gradebox-warm"):
        r = res.get("%s:%s" % (w, t))
        if r and bare:
            print("  %-13s %-12s overhead over bare: %+8.3f ms" % (t, label[w],
                  ms(r["mean"] - bare["mean"])))
    print()
    g = res.get(w + ":gradebox-warm")
    c = res.get(w + ":gradebox-cold")
    if g and c and bare and bw:
        summary.append("%s: gradebox warm %.2fx bare, %.2fx bwrap (%.2f vs %.2f ms); cold %.2fx bare, "
                       "%.2fx bwrap" % (label[w], g["mean"] / bare["mean"], g["mean"] / bw["mean"],
                                        ms(g["mean"]), ms(bw["mean"]), c["mean"] / bare["mean"],
                                        c["mean"] / bw["mean"]))
    elif bare and bw:
        summary.append("%s: gradebox n/a, bwrap %.2fx bare, unshare %.2fx bare"
                       % (label[w], bw["mean"] / bare["mean"],
                          res[w + ":unshare"]["mean"] / bare["mean"]))
print("summary: " + "; ".join(summary))
EOF
