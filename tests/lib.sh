# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers for the bash integration tests (sourced, after `set -euo pipefail`): TAP output
# (ok/is/like/cmp_ok/skip/done_testing), a per-script temp dir removed by an EXIT trap, tracked
# background processes killed by pid, and `gb_run`, which runs one program under
# `build/gradebox run` with the probes bound at /probes and the result JSON in $GB_JSON.
#
# GRADEBOX_MUST_WORK=1 (CI) turns every skip into a failure. GRADEBOX=PATH picks another
# binary. GB_TIMEOUT (default 60) bounds each gradebox invocation from the outside.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GB=${GRADEBOX:-$ROOT/build/gradebox}
GB_RUN_BIN=$GB # what gb_run executes; gb_require switches it to a private snapshot
PROBES=$ROOT/build/tests/probes
GB_TIMEOUT=${GB_TIMEOUT:-60}
# The sandbox sees /usr/bin/python3; on the host `python3` may be a pyenv shim.
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi

_tap_n=0
_tap_failed=0
_tap_plan=
_tap_pids=()

# Not under /tmp/gradebox*: the leak checks grep mountinfo for "gradebox".
T=$(mktemp -d /tmp/gbtest.XXXXXX)

# ---- TAP ---------------------------------------------------------------------------------

_must_work() { [ "${GRADEBOX_MUST_WORK:-0}" = 1 ]; }

plan() {
	_tap_plan=$1
	echo "1..$1"
}

diag() {
	local line
	# shellcheck disable=SC2068
	printf '%s\n' "$@" | while IFS= read -r line; do printf '# %s\n' "$line" >&2; done
}

note() {
	local line
	printf '%s\n' "$@" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

_pass() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1"
}

_fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	diag "Failed test '$1' (${BASH_SOURCE[2]:-main}, line ${BASH_LINENO[1]:-?})"
	if [ -n "${GB_LAST:-}" ]; then
		diag "last run ($GB_LAST_CMD): exit $(cat "$GB_LAST.rc" 2>/dev/null)," \
			"  result $(tr -d '\n' <"$GB_LAST.json" 2>/dev/null | tr -s ' ' || echo none)"
	fi
}

# ok DESC CMD [ARGS...]: passes if CMD exits 0.
ok() {
	local desc=$1
	shift
	if "$@"; then _pass "$desc"; else
		_fail "$desc"
		return 0
	fi
}

# is GOT EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then _pass "$3"; else
		_fail "$3"
		diag "     got: '$1'" "expected: '$2'"
	fi
}

# isnt GOT UNEXPECTED DESC
isnt() {
	if [ "$1" != "$2" ]; then _pass "$3"; else
		_fail "$3"
		diag "     got: '$1'" "expected anything else"
	fi
}

# like GOT ERE DESC
like() {
	if [[ $1 =~ $2 ]]; then _pass "$3"; else
		_fail "$3"
		diag "     got: '$1'" "expected to match: /$2/"
	fi
}

# unlike GOT ERE DESC
unlike() {
	if ! [[ $1 =~ $2 ]]; then _pass "$3"; else
		_fail "$3"
		diag "     got: '$1'" "expected not to match: /$2/"
	fi
}

# cmp_ok A OP B DESC, integers; OP is one of < <= == != >= >. A non-number fails.
cmp_ok() {
	local a=$1 op=$2 b=$3 desc=$4 r=1
	if [[ $a =~ ^-?[0-9]+$ && $b =~ ^-?[0-9]+$ ]]; then
		case $op in
		'<') ((a < b)) && r=0 ;;
		'<=') ((a <= b)) && r=0 ;;
		'==') ((a == b)) && r=0 ;;
		'!=') ((a != b)) && r=0 ;;
		'>=') ((a >= b)) && r=0 ;;
		'>') ((a > b)) && r=0 ;;
		*) diag "cmp_ok: bad operator '$op'" ;;
		esac
	fi
	if [ $r = 0 ]; then _pass "$desc"; else
		_fail "$desc"
		diag "expected: '$a' $op '$b'"
	fi
}

# skip DESC REASON: a skipped test (an environment limitation, not a sandbox capability).
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

# must_work_skip DESC REASON: skips, unless GRADEBOX_MUST_WORK=1, where it fails.
must_work_skip() {
	if _must_work; then
		_fail "$1"
		diag "GRADEBOX_MUST_WORK=1 forbids skipping: $2"
	else
		skip "$1" "$2"
	fi
}

# skip_all REASON: the whole script cannot run here (fails under GRADEBOX_MUST_WORK=1).
skip_all() {
	if _must_work; then
		echo "1..1"
		echo "not ok 1 - $1"
		diag "GRADEBOX_MUST_WORK=1 forbids skipping: $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

# done_testing: prints the plan (if plan was not called) and sets the exit status.
done_testing() {
	if [ -z "$_tap_plan" ]; then
		echo "1..$_tap_n"
	elif [ "$_tap_plan" != "$_tap_n" ]; then
		diag "planned $_tap_plan tests but ran $_tap_n"
		exit 255
	fi
	[ "$_tap_failed" -eq 0 ] || diag "failed $_tap_failed of $_tap_n tests"
	[ "$_tap_failed" -eq 0 ]
}

# ---- temp dir and background processes ---------------------------------------------------

# bg_track PID: kill PID (and only it) at exit.
bg_track() { _tap_pids+=("$1"); }

_lib_cleanup() {
	local pid
	for pid in "${_tap_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${_tap_pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	# A leaked mount under $T (an overlay, or a bind of a host directory) must not make rm
	# delete through it: keep the directory and say so.
	if grep -qF " $T/" /proc/self/mountinfo 2>/dev/null || grep -qF " $T " /proc/self/mountinfo 2>/dev/null; then
		echo "# lib.sh: mounts left under $T, not removing it:" >&2
		grep -F "$T" /proc/self/mountinfo | sed 's/^/#   /' >&2
		return 0
	fi
	rm -rf --one-file-system "$T" 2>/dev/null || true
}
trap _lib_cleanup EXIT

# ---- the real server --------------------------------------------------------------------

# gb_require_server: what a test of the real server with real sandboxes needs (root, the binary,
# the sqlite3 and curl tools, a working `gradebox run`), or skip_all saying what is missing.
gb_require_server() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -x "$GB" ] || skip_all "$GB not built"
	command -v sqlite3 >/dev/null || skip_all "sqlite3 CLI missing (make deps)"
	command -v curl >/dev/null || skip_all "curl missing (make deps)"
	gb_works || skip_all "'gradebox run' does not work here"
}

# gb_server_env: a free loopback port (PORT) and the environment the CLI and the server use:
# GRADEBOX_DATA (DB is its database file) and GRADEBOX_SERVER.
gb_server_env() {
	PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	export GRADEBOX_DATA=$T/data GRADEBOX_SERVER=http://127.0.0.1:$PORT
	# shellcheck disable=SC2034 # for the test scripts
	DB=$T/data/gradebox.db
}

# gb_start_server [SERVE OPTIONS...]: `gradebox serve` on PORT in the background, its log
# appended to $T/server.log, its pid in SRV (killed at exit); returns once it answers.
gb_start_server() {
	"$GB" serve --port "$PORT" "$@" >>"$T/server.log" 2>&1 &
	SRV=$!
	bg_track "$SRV"
	for _ in $(seq 100); do
		curl -fsS "$GRADEBOX_SERVER/api/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# gb_descendants PID: every process PID started, at any depth (workers, sandbox inits,
# programs), one pid per line.
gb_descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q];
		      if (q == root && p != root) print p } }'
}

# gb_slow_sum DIR MS: DIR/sum.c, a correct "sum" that first sleeps MS ms, so that a job is
# still running when a test acts on it.
gb_slow_sum() {
	mkdir -p "$1"
	cat >"$1/sum.c" <<C
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {$(($2 / 1000)), $(($2 % 1000)) * 1000L * 1000L};
	long n, x, s = 0;
	nanosleep(&ts, NULL);
	if (scanf("%ld", &n) != 1)
		return 1;
	while (n-- > 0 && scanf("%ld", &x) == 1)
		s += x;
	printf("%ld\n", s);
	return 0;
}
C
}

# ---- another process holding the database ------------------------------------------------

# db_lock DB NAME: a process that holds DB's write lock (BEGIN IMMEDIATE, as an admin's sqlite3
# would) until db_unlock NAME; returns once the lock is held. Killed at exit like any bg_track.
db_lock() {
	"$PY" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
for _ in range(1200):
    try:
        open(sys.argv[3]).close()
        break
    except OSError:
        time.sleep(0.05)
c.execute("ROLLBACK")' "$1" "$T/$2.held" "$T/$2.release" &
	eval "_db_lock_$2=$!"
	bg_track "$!"
	local _
	for _ in $(seq 200); do [ -e "$T/$2.held" ] && return 0; sleep 0.05; done
	return 1
}

# db_unlock NAME: releases the lock db_lock NAME holds and waits for its process.
db_unlock() {
	local pid
	eval "pid=\${_db_lock_$1:-}"
	: >"$T/$1.release"
	if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
}

# ---- JSON and probe output ---------------------------------------------------------------

# json_field FILE KEY: the value (strings raw, true/false, nothing for null or missing).
json_field() {
	if [ -x "$PY" ] || command -v "$PY" >/dev/null 2>&1; then
		"$PY" -c '
import json, sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2])
except Exception:
    v = None
if v is None:
    v = ""
elif isinstance(v, bool):
    v = "true" if v else "false"
print(v)' "$1" "$2" 2>/dev/null || true
	else
		jq -r --arg k "$2" '.[$k] // empty' "$1" 2>/dev/null || true
	fi
}

# kv FILE KEY: the first "KEY=value" line's value (selfinfo's format).
kv() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1; }

# result_line FILE WHAT: the "RESULT ..." line a probe printed about WHAT.
result_line() { grep -E "^RESULT [a-z]+ $2( |\$)" "$1" 2>/dev/null | head -n 1 || true; }

# ---- gradebox ----------------------------------------------------------------------------

# Builds the probes if they are missing (make test builds them first; this helps `prove`).
gb_build_probes() {
	local src name missing=()
	for src in "$ROOT"/tests/probes/*.c; do
		name=$(basename "$src" .c)
		[ -x "$PROBES/$name" ] || missing+=("build/tests/probes/$name")
	done
	[ ${#missing[@]} -eq 0 ] || make -C "$ROOT" -s "${missing[@]}" >&2
}

# gb_run_as PREFIX [OPTIONS] -- PROGRAM [ARGS...]: runs PROGRAM in a sandbox. Adds
# --bind-ro PROBES:/probes (unless GB_NO_PROBES=1), and --result PREFIX.json, --stdout
# PREFIX.out and --stderr PREFIX.err unless the options already name them. Sets GB_RC (the exit
# status of gradebox; 124 when the outer timeout killed it), GB_JSON, GB_OUT, GB_ERR, GB_LOG
# (gradebox's own stderr) and GB_STATUS. Never fails (set -e safe).
gb_run_as() {
	local prefix=$1 a has_result=0 has_out=0 has_err=0 before=1
	shift
	for a in "$@"; do
		[ "$a" = -- ] && before=0
		[ $before = 1 ] || continue
		case $a in
		--result | --result=*) has_result=1 ;;
		--stdout | --stdout=*) has_out=1 ;;
		--stderr | --stderr=*) has_err=1 ;;
		esac
	done
	local extra=()
	[ "${GB_NO_PROBES:-0}" = 1 ] || extra+=(--bind-ro "$PROBES:/probes")
	[ $has_result = 1 ] || extra+=(--result "$prefix.json")
	[ $has_out = 1 ] || extra+=(--stdout "$prefix.out")
	[ $has_err = 1 ] || extra+=(--stderr "$prefix.err")
	rm -f "$prefix.json" "$prefix.out" "$prefix.err"
	GB_RC=0
	timeout -k 5 "$GB_TIMEOUT" "$GB_RUN_BIN" run "${extra[@]}" "$@" >"$prefix.log" 2>&1 </dev/null || GB_RC=$?
	echo "$GB_RC" >"$prefix.rc"
	GB_LAST=$prefix GB_LAST_CMD="gradebox run $*"
	# shellcheck disable=SC2034 # for the test scripts
	GB_JSON=$prefix.json GB_OUT=$prefix.out GB_ERR=$prefix.err GB_LOG=$prefix.log

	GB_STATUS=$(json_field "$GB_JSON" status)
	# 13-pool.sh runs the suites against a warm pool and checks which runs it served.
	[ -z "${GB_POOL_RECORD:-}" ] || echo "pool=$(json_field "$GB_JSON" pool) $*" >>"$GB_POOL_RECORD"
	return 0
}

gb_run() { gb_run_as "$T/r" "$@"; }

# gb_diag [PREFIX]: shows what the last (or PREFIX's) run produced, after a failure.
gb_diag() {
	local p=${1:-$T/r}
	diag "gradebox exit: $(cat "$p.rc" 2>/dev/null)"
	diag "result: $(cat "$p.json" 2>/dev/null || echo '(none)')"
	[ -s "$p.log" ] && diag "gradebox stderr:" "$(tail -n 5 "$p.log")"
	[ -s "$p.out" ] && diag "program stdout:" "$(head -c 2000 "$p.out" | tail -n 12)"
	[ -s "$p.err" ] && diag "program stderr:" "$(head -c 2000 "$p.err" | tail -n 5)"
	return 0
}

# is_status EXPECTED DESC: checks the last run's status, with diagnostics on failure.
is_status() {
	if [ "$GB_STATUS" = "$1" ]; then _pass "$2"; else
		_fail "$2"
		diag "status '$GB_STATUS', expected '$1'"
		gb_diag "$T/r"
	fi
}

# gb_works: does `gradebox run -- /bin/true` succeed here?
gb_works() {
	[ -x "$GB_RUN_BIN" ] || return 1
	timeout -k 5 30 "$GB_RUN_BIN" run -- /bin/true >"$T/gb-works.log" 2>&1 </dev/null
}

# gb_snapshot: runs a private copy of build/gradebox from now on. Other engineers rebuild the
# shared tree while tests run; exec'ing a binary that the linker is rewriting fails with
# EACCES (exit 126) or worse. The copy finds the policies through GRADEBOX_POLICY_DIR.
gb_snapshot() {
	mkdir -p "$T/bin"
	export GRADEBOX_POLICY_DIR=${GRADEBOX_POLICY_DIR:-$ROOT/policies}
	for _ in 1 2 3; do
		# The front door execs its sibling runner (cold runs, the pool): both are copied.
		if cp "$(dirname "$GB")/gradebox-run" "$T/bin/gradebox-run.new" 2>/dev/null &&
			cp "$GB" "$T/bin/gradebox.new" 2>/dev/null &&
			mv "$T/bin/gradebox-run.new" "$T/bin/gradebox-run" &&
			mv "$T/bin/gradebox.new" "$T/bin/gradebox"; then
			GB_RUN_BIN=$T/bin/gradebox
			gb_works && return 0
		fi
		sleep 2 # a link in progress: try again
	done
	return 1
}

# gb_require: skips the whole script (fails under GRADEBOX_MUST_WORK=1) unless gradebox
# runs, then works on a snapshot of it, and builds the probes.
gb_require() {
	[ -x "$GB" ] || skip_all "$GB not built (make build/gradebox)"
	gb_snapshot || skip_all "'gradebox run -- /bin/true' fails here: $(tail -n 1 "$T/gb-works.log")"
	gb_build_probes || skip_all "could not build the probes"
}

# ---- leak checks -------------------------------------------------------------------------

# Mount points mentioning gradebox, in our (the host's) mount namespace.
gb_mount_leaks() { grep gradebox /proc/self/mountinfo || true; }

# Sandbox cgroups left behind, in any v1 hierarchy or the v2 tree. Other engineers' and
# services' sandboxes may be running on the same machine, and a worker keeps its slot between
# runs. A box-N group is somebody's when it has processes, or when slot N's lock
# (STATE/slots/N.lock, an OFD lock, listed in /proc/locks) is held: only the rest count as
# leaks. GB_LEAKS_STRICT=1 counts every box-* group.
GB_STATE_DIR=${GB_STATE_DIR:-/run/gradebox}
_slot_held() {
	local ino
	ino=$(stat -c %i "$GB_STATE_DIR/slots/$1.lock" 2>/dev/null) || return 1
	awk -v ino="$ino" '{ n = split($6, a, ":"); if (a[n] == ino) found = 1 } END { exit !found }' /proc/locks
}
gb_cgroup_leaks() {
	local d slot busy=()
	for d in /sys/fs/cgroup/*/gradebox/box-* /sys/fs/cgroup/gradebox/box-*; do
		[ -d "$d" ] || continue
		slot=${d##*/box-}
		if [ "${GB_LEAKS_STRICT:-0}" != 1 ] && { _slot_held "$slot" ||
			cat /sys/fs/cgroup/*/gradebox/"box-$slot"/cgroup.procs \
				/sys/fs/cgroup/gradebox/"box-$slot"/cgroup.procs 2>/dev/null | grep -q .; }; then
			busy+=("$d")
			continue
		fi
		echo "$d"
	done
	[ ${#busy[@]} -eq 0 ] || diag "cgroups of live sandboxes or held slots (not counted): ${busy[*]}"
	return 0
}

# gb_check_leaks: two TAP tests, after all runs. A cgroup counts only if it is a leak in two
# looks a second apart (a supervisor may release its slot and then remove its groups).
gb_check_leaks() {
	local m c c2
	m=$(gb_mount_leaks)
	c=$(gb_cgroup_leaks)
	if [ -n "$c" ]; then
		sleep 1
		c2=$(gb_cgroup_leaks)
		c=$(comm -12 <(sort <<<"$c") <(sort <<<"$c2"))
	fi
	is "$m" "" "no mount mentioning 'gradebox' left in the host's mountinfo"
	is "$c" "" "no gradebox/box-* cgroup left"
}

# Processes of sandboxes: host uid >= 1000000 (the mapped ranges).
gb_sandbox_procs() { ps -e -o uid=,pid=,comm= | awk '$1 >= 1000000' || true; }
