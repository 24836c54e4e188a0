#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing left behind: a supervisor killed with SIGKILL takes its sandbox with it, and the next
# start removes the cgroup it left; the disk limit holds for the writable layer and /tmp.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
gb_require
plan 15

# The sandboxes' cgroups with their inode numbers: a group removed and created again under
# its old name is a new one.
boxes() { find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path '*gradebox/box-*' -printf '%p %i\n' 2>/dev/null | sort; }
# start_sleeper: a sandbox that sleeps, in the background (pid in $sup); waits until it runs
# and sets new (its cgroup: the new box-N holding a child of $sup, the sandbox's init; empty
# if none) and ino.
start_sleeper() {
	local before d i p
	before=$(boxes)
	"$GB_RUN_BIN" run --quiet --wall-time 60 --bind-ro "$PROBES:/probes" -- /probes/sleeper 30 >/dev/null 2>&1 &
	sup=$!
	bg_track "$sup"
	for _ in $(seq 100); do
		while read -r d i; do
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
				if [ "$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)" = "$sup" ]; then
					new=$d ino=$i
					return 0
				fi
			done
		done < <(comm -13 <(echo "$before") <(boxes))
		sleep 0.05
	done
	new= ino=
}

start_sleeper
ok "the sandbox started (cgroup ${new:-none})" test -n "$new"
pids=$(tr '\n' ' ' <"$new/cgroup.procs" 2>/dev/null)
kill -9 "$sup"
wait "$sup" 2>/dev/null || true
alive=
for _ in $(seq 50); do
	alive=
	for p in $pids; do [ -d "/proc/$p" ] && alive="$alive $p"; done
	[ -z "$alive" ] && break
	sleep 0.1
done
is "$alive" "" "SIGKILL of the supervisor: every sandbox process died with it ($pids)"
[ -d "$new" ] && note "its cgroup $new is left behind until the next start"
gb_run -- /bin/true
is_status OK "the next run works"
# Gone, or (when a concurrent run took the same slot at once) a fresh group of that name.
now=$(stat -c %i "$new" 2>/dev/null || echo gone)
isnt "$now" "$ino" "and the stale cgroup $new was removed"
is "$(gb_mount_leaks)" "" "no mount left"

# SIGTERM or SIGHUP (timeout, a closed terminal) cancels the run: the sandbox is torn down
# before the signal takes effect, so nothing waits for the next run to be cleaned up. (SIGINT
# is not tested here: bash starts background jobs with it ignored, and gradebox keeps ignored
# signals ignored.)
for sig in TERM HUP; do
	start_sleeper
	kill -"$sig" "$sup"
	rc=0
	wait "$sup" 2>/dev/null || rc=$?
	is "$rc" "$((128 + $(kill -l "$sig")))" "SIG$sig: gradebox run ends by the signal (sandbox ${new:-none})"
	now=$(stat -c %i "$new" 2>/dev/null || echo gone)
	ok "SIG$sig: its cgroup is gone at once, not left for the next run" \
		test -n "$new" -a "$now" != "$ino"
done

gb_run --disk 1M -- /bin/dd if=/dev/zero of=/box/fill bs=1M count=8
like "$(cat "$GB_ERR")" "No space left on device" "--disk 1M: filling /box stops at ENOSPC"
gb_run --disk 1M -- /bin/dd if=/dev/zero of=/tmp/fill bs=1M count=8
like "$(cat "$GB_ERR")" "No space left on device" "--disk 1M: filling /tmp stops at ENOSPC"
gb_run --file-size 64K -- /bin/dd if=/dev/zero of=/box/big bs=64K count=4
like "$GB_STATUS" "^(SG|RE)$" "--file-size 64K: a larger file is refused (status $GB_STATUS)"
# The compiled-filter cache keeps at most 64 entries: every rebuilt binary starts new keys.
cache=/run/gradebox/bpf
mkdir -p "$cache"
for i in $(seq 70); do
	: >"$cache/gbtest-stale-$i"
	touch -d '2001-01-01' "$cache/gbtest-stale-$i"
done
printf 'include run\n# %s\n' "$T-$$-$RANDOM" >"$T/fresh.policy" # a key nobody has compiled
gb_run --policy "$T/fresh.policy" -- /bin/true
cmp_ok "$(find "$cache" -maxdepth 1 -type f | wc -l)" "<=" 64 "the filter cache is pruned to 64 entries when one is added"
is "$(find "$cache" -maxdepth 1 -name 'gbtest-stale-*' | wc -l | tr -d ' ')" 0 "the oldest entries went first"
find "$cache" -maxdepth 1 -name 'gbtest-stale-*' -delete

# The shared gradebox/ parents go with the last sandbox: an idle host keeps no cgroup state.
is "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name gradebox 2>/dev/null)" "" \
	"no gradebox cgroup directory left once no sandbox runs"
done_testing
