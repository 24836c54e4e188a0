#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The warm pool (`gradebox pool`): the isolation and limit suites pass with their runs served by
# warm sandboxes; a warm sandbox is fresh (no file, process or socket of the run before it,
# although the slot keeps its network namespace); a client that goes away takes its run with it;
# a worker killed with SIGKILL is replaced; stopping the pool leaves nothing behind.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
gb_require
plan 49

SOCK=$T/pool.sock
POOL=
boxes() { find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path '*gradebox/box-*' 2>/dev/null | sort; }
# Processes running as a sandbox uid (>= 2^20), as "uid pid ppid comm".
sandbox_procs() { ps -eo uid=,pid=,ppid=,comm= | awk '$1 >= 1048576' || true; }
# Processes of sandboxes, apart from the inits of the pool's idle boxes.
busy_procs() { sandbox_procs | awk '$4 != "gradebox-init"' || true; }

start_pool() {
	rm -f "$SOCK"
	"$GB_RUN_BIN" pool --socket "$SOCK" "$@" >>"$T/pool.log" 2>&1 &
	POOL=$!
	bg_track "$POOL"
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && grep -q 'warm sandbox' "$T/pool.log" && break
		sleep 0.05
	done
	sleep 0.3 # the workers build their first boxes
}
stop_pool() {
	local rc=0
	kill -TERM "$POOL" 2>/dev/null || true
	wait "$POOL" 2>/dev/null || rc=$?
	return $rc
}
workers() { ps -o pid=,comm= --ppid "$POOL" | awk '$2 == "gradebox-pool" { print $1 }'; }
# wait_gone FN: polls FN (which lists processes) for up to 5 s until it lists none; prints the
# last list (empty when they are gone).
wait_gone() {
	local left
	for _ in $(seq 50); do
		left=$("$1")
		[ -z "$left" ] && break
		sleep 0.1
	done
	echo "$left"
}

before_boxes=$(boxes)
export GRADEBOX_POOL_SOCKET=$SOCK

# ---- the suites, served by the pool ------------------------------------------------------------
start_pool --sandboxes 2 --bind-ro "$PROBES:/probes"
ok "the pool listens on its socket" test -S "$SOCK"
export GB_POOL_RECORD=$T/runs.txt
for suite in 10-sandbox-isolation 11-sandbox-limits; do
	rc=0
	GRADEBOX="$GB_RUN_BIN" bash "$ROOT/tests/integration/$suite.sh" >"$T/$suite.tap" 2>&1 || rc=$?
	if ! ok "$suite passes with its runs in warm sandboxes" test "$rc" -eq 0; then
		diag "$(grep -E '^not ok|^#' "$T/$suite.tap" | grep -v '# TODO' | head -n 30)"
	fi
done
unset GB_POOL_RECORD
warm=$(grep -c '^pool=true ' "$T/runs.txt" || true)
# Runs the pool may not serve: another image, layers, workdir or disk size, or --cold.
cold=$(grep '^pool=false ' "$T/runs.txt" | grep -vE -- '--(image|layer|workdir|disk|cold)' || true)
cmp_ok "$warm" ">=" 30 "the pool served the suites' runs ($warm of $(wc -l <"$T/runs.txt"))"
is "$cold" "" "every run the pool could serve was served by it"
stop_pool || true

# ---- a warm sandbox is fresh ---------------------------------------------------------------
# One worker, so consecutive runs share its slot and its kept network namespace.
start_pool --sandboxes 1 --bind-ro "$PROBES:/probes"
printf 'include run\nallow socket if arg0 == 1\nallow socket if arg0 == 2\nallow bind listen connect setsockopt getsockopt getsockname getpeername setsid\n' >"$T/net.policy"
RESIDUE=$(cat "$ROOT/tests/residue.py")
gb_run --policy "$T/net.policy" -- /usr/bin/python3 -c "$RESIDUE" leave 47011
is_status OK "run 1 (warm): listens on TCP and an abstract socket, writes files, leaves a child"
like "$(cat "$GB_OUT")" 'self-connect ok' "control: run 1 reaches its own listeners"
is "$(json_field "$GB_JSON" pool)" true "run 1 was served by the pool" || gb_diag
uid1=$(json_field "$GB_JSON" host_uid_base)
is "$(wait_gone busy_procs)" "" "run 1's background child did not outlive it"
gb_run --policy "$T/net.policy" -- /usr/bin/python3 -c "$RESIDUE" check 47011
is_status OK "run 2 (warm, same worker)"
is "$(json_field "$GB_JSON" host_uid_base)" "$uid1" "run 2 had run 1's slot (and its network namespace)"
is "$(grep -E '^(tcp|unix) ' "$GB_OUT" | tr '\n' ' ')" "tcp refused 111 unix refused 111 " \
	"run 2 finds neither of run 1's listeners (TCP nor abstract socket)"
is "$(grep -c ' absent$' "$GB_OUT")" 3 "run 2 sees none of run 1's files (/tmp, /box, /dev/shm)"

# ---- who may use the pool -------------------------------------------------------------------
is "$(stat -c %a "$SOCK")" 600 "the socket is root's alone (mode 0600)"
# Open it up to test the worker's own check: a non-root peer is refused (SO_PEERCRED).
chmod 711 "$T"
chmod 666 "$SOCK"
refused=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$PY" -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(bytes(24))
r = s.recv(65536)
print(struct.unpack_from("<i", r, 8)[0])
' "$SOCK" 2>&1 || true)
chmod 600 "$SOCK"
chmod 700 "$T"
is "$refused" "-1" "a non-root peer gets EPERM from the worker, before anything runs"
rc=0
"$GB_RUN_BIN" pool --socket "$SOCK" >"$T/pool2.log" 2>&1 || rc=$?
is "$rc" 2 "a second pool on the same socket exits 2"
like "$(cat "$T/pool2.log")" 'another pool already listens' "and says why"

# ---- the client's niceness --------------------------------------------------------------
# Boxes are built at nice 19; the program runs at the niceness of the `gradebox run` that
# asked, as a cold run's would.
for n in 0 7; do
	nice -n "$n" "$GB_RUN_BIN" run --quiet --bind-ro "$PROBES:/probes" --result "$T/nice$n.json" \
		--stdout "$T/nice$n.out" -- /probes/selfinfo >/dev/null 2>"$T/nice$n.log" || true
	is "$(json_field "$T/nice$n.json" pool)/$(kv "$T/nice$n.out" nice)" "true/$n" \
		"a warm run started at nice $n: its program runs at nice $n" || diag "$(cat "$T/nice$n.log")"
done

# ---- a shape the pool does not have runs cold ----------------------------------------------
gb_run --disk 32M -- /probes/selfinfo
is_status OK "--disk 32M: not the pool's shape, built cold and run"
is "$(json_field "$GB_JSON" pool)" false "--disk 32M was not served by the pool"

# ---- the front door: who runs what ----------------------------------------------------------
# `gradebox` serves a run the pool can take itself; anything else is the full runner
# (gradebox-run), exec'ed. strace lists the execve calls of the client process.
execs() { grep -c 'execve(' "$1" || true; }
strace -f -qq -e trace=execve -o "$T/front.trace" "$GB_RUN_BIN" run --result "$T/front.json" \
	--timing --bind-ro "$PROBES:/probes" -- /probes/selfinfo >/dev/null 2>"$T/front.log" || true
is "$(execs "$T/front.trace")" 1 "a warm run with --result and --timing: the front door serves it, no other binary started" ||
	diag "$(cat "$T/front.trace")"
is "$(json_field "$T/front.json" status)/$(json_field "$T/front.json" pool)" OK/true \
	"the pool wrote its result file: OK, pool true"
like "$(cat "$T/front.log")" 'timing: a warm sandbox from the pool' "and --timing printed the pool's steps"
strace -f -qq -e trace=execve -o "$T/cold.trace" "$GB_RUN_BIN" run --quiet --result "$T/cold.json" \
	--disk 32M -- /bin/true >/dev/null 2>&1 || true
like "$(cat "$T/cold.trace")" 'gradebox-run", \["[^"]*", "run", "--cold", "--quiet"' \
	"a shape the pool lacks: the runner builds it, told --cold so as not to ask again"
is "$(json_field "$T/cold.json" status)/$(json_field "$T/cold.json" pool)" OK/false "and ran it cold"
# The front door as it is built without musl-gcc (or with SANITIZE): against glibc, the same
# sources. It must serve a warm run itself and hand a run the pool cannot take to its sibling.
GLIBC_FRONT=$ROOT/build/tests/gradebox-glibc
if [ -x "$GLIBC_FRONT" ]; then
	mkdir -p "$T/glibc"
	cp "$GLIBC_FRONT" "$T/glibc/gradebox"
	ln "$T/bin/gradebox-run" "$T/glibc/gradebox-run" # the same runner: its cached filters
	strace -f -qq -e trace=execve -o "$T/glibc.trace" "$T/glibc/gradebox" run \
		--result "$T/glibc.json" --bind-ro "$PROBES:/probes" -- /probes/selfinfo \
		>/dev/null 2>"$T/glibc.log" || true
	is "$(execs "$T/glibc.trace")/$(json_field "$T/glibc.json" status)/$(json_field "$T/glibc.json" pool)" \
		1/OK/true "the glibc front door serves a warm run itself" ||
		diag "$(cat "$T/glibc.log" "$T/glibc.trace")"
	"$T/glibc/gradebox" run --quiet --result "$T/glibc-cold.json" --disk 32M -- /bin/true \
		>/dev/null 2>"$T/glibc-cold.log" || true
	is "$(json_field "$T/glibc-cold.json" status)/$(json_field "$T/glibc-cold.json" pool)" \
		OK/false "and hands a shape the pool lacks to the runner" || diag "$(cat "$T/glibc-cold.log")"
else
	for d in "the glibc front door serves a warm run itself" "and hands a shape the pool lacks to the runner"; do
		must_work_skip "$d" "build/tests/gradebox-glibc not built (make test-bins)"
	done
fi
# A tightened policy takes effect on the next warm run: the front door reads compiled filters
# from the cache, and a stale one would still allow what the policy no longer does. The edit
# keeps the file's size, inode and mtime (as a restored backup would): only its text differs.
sock_py='import socket; socket.socket(socket.AF_UNIX)'
printf 'include run\nallow socket if arg0 == 1\nallow getsockname getpeername\n' >"$T/tight.policy"
gb_run --policy "$T/tight.policy" -- /usr/bin/python3 -c "$sock_py"
is "$GB_STATUS/$(json_field "$GB_JSON" pool)" OK/true "a policy that allows AF_UNIX sockets: the warm run makes one" || gb_diag
touch -r "$T/tight.policy" "$T/stamp"
printf 'include run\nallow socket if arg0 == 2\nallow getsockname getpeername\n' >"$T/tight.policy"
touch -r "$T/stamp" "$T/tight.policy"
gb_run --policy "$T/tight.policy" -- /usr/bin/python3 -c "$sock_py"
is "$GB_STATUS/$(json_field "$GB_JSON" pool)" SV/true "the same file allowing another family (same size and mtime): the next warm run is stopped (SV)" || gb_diag
gb_run --policy "$T/tight.policy" -- /usr/bin/python3 -c "$sock_py"
is "$GB_STATUS/$(json_field "$GB_JSON" pool)" SV/true "and the one after, from the cache, too" || gb_diag
rc=0
GRADEBOX_POOL_SOCKET=$T/nopool.sock "$GB_RUN_BIN" run --quiet -- /bin/true >/dev/null 2>&1 || rc=$?
is "$rc" 0 "no pool listening: the run is built cold and succeeds"
# fake_pool SOCKET MODE: a pool that takes one request and then either answers in protocol 1
# (MODE old: a pool of another version, still running across an upgrade) or hangs up without
# an answer (MODE dies: its worker died during the run).
fake_pool() {
	"$PY" -c '
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(65536, socket.CMSG_SPACE(5 * 4))
for level, kind, data in anc:
    for fd in struct.unpack("%di" % (len(data) // 4), data[: len(data) - len(data) % 4]):
        os.close(fd)
if sys.argv[2] == "old":
    c.send(b"gbpl" + struct.pack("<Ii", 1, -71) + bytes(2588))
c.close()
' "$1" "$2" &
}
# via_fake_pool MODE NAME: `gradebox run --result $T/NAME.json -- /bin/true` against a fake
# pool of MODE; its exit status in rc, its stderr in $T/NAME.log.
via_fake_pool() {
	local pid
	fake_pool "$T/$2.sock" "$1"
	pid=$!
	bg_track "$pid"
	for _ in $(seq 50); do [ -S "$T/$2.sock" ] && break; sleep 0.05; done
	rc=0
	GRADEBOX_POOL_SOCKET=$T/$2.sock "$GB_RUN_BIN" run --result "$T/$2.json" -- /bin/true \
		>/dev/null 2>"$T/$2.log" || rc=$?
	wait "$pid" 2>/dev/null || true
}
# A pool of another version refuses in its own layout: the client says so and runs cold,
# instead of failing as if the run had broken mid-way.
via_fake_pool old old
is "$rc/$(json_field "$T/old.json" status)/$(json_field "$T/old.json" pool)" 0/OK/false \
	"a pool of another protocol version: the run is built cold and succeeds" || diag "$(cat "$T/old.log")"
like "$(cat "$T/old.log")" 'refused \(the pool speaks protocol 1, this gradebox 2\); building a sandbox' \
	"and the client says why"
# A pool that hangs up during the run: the program may have run, so it is not run again; the
# exit is 2 and the --result file, opened before, says why instead of staying empty.
via_fake_pool dies dead
is "$rc/$(json_field "$T/dead.json" status)/$(json_field "$T/dead.json" pool)" 2/XX/true \
	"a pool that hangs up during the run: exit 2, and --result holds an XX result" || diag "$(cat "$T/dead.log")"
like "$(json_field "$T/dead.json" message)" '^the warm pool failed during the run' "... saying why"
rc=0
"$GB_RUN_BIN" run --quiet --memory 1X -- /bin/true >/dev/null 2>"$T/bad.log" || rc=$?
is "$rc/$(grep -c 'invalid size' "$T/bad.log")" 2/1 "a bad option: exit 2, said once (by the front door)"
# A run the pool refuses after the client opened its streams (here: another disk size) goes to
# the runner with the streams as they were opened: a named FIFO whose writer has already left
# still delivers what it wrote (a second open would find it empty, or block for ever).
mkfifo "$T/in.fifo"
(printf 'through-the-fifo\n' >"$T/in.fifo") &
fifo_writer=$!
bg_track "$fifo_writer"
rc=0
timeout -k 5 20 "$GB_RUN_BIN" run --quiet --disk 32M --stdin "$T/in.fifo" --stdout "$T/fifo.out" \
	--result "$T/fifo.json" -- /bin/cat >/dev/null 2>"$T/fifo.log" || rc=$?
wait "$fifo_writer" 2>/dev/null || true
is "$rc/$(cat "$T/fifo.out" 2>/dev/null)/$(json_field "$T/fifo.json" pool)" 0/through-the-fifo/false \
	"a refused run keeps its --stdin FIFO: the runner reads what the writer left" ||
	diag "$(cat "$T/fifo.log")"
GRADEBOX_STREAM_FDS=0,1,2,-1 "$GB_RUN_BIN" run --quiet --stdout "$T/env.out" -- /bin/echo env-ok \
	>/dev/null 2>"$T/env.log" || true
is "$(cat "$T/env.out" 2>/dev/null)" env-ok "a caller's own GRADEBOX_STREAM_FDS is ignored" ||
	diag "$(cat "$T/env.log")"
# An unwritable --result is refused before the program runs, warm (the front door opens it)
# and cold (the runner does) alike: a result that cannot be kept must not cost a run. The
# program would write to its --stdout file.
for how in warm cold; do
	rc=0
	extra=()
	[ $how = cold ] && extra=(--cold)
	"$GB_RUN_BIN" run "${extra[@]}" --bind-ro "$PROBES:/probes" --stdout "$T/res-$how.out" \
		--result "$T/no/such/dir/r.json" -- /bin/echo ran >/dev/null 2>"$T/res-$how.log" || rc=$?
	is "$rc/$(cat "$T/res-$how.out" 2>/dev/null || echo no-file)/$(grep -c -- "--result: cannot write" "$T/res-$how.log")" \
		2//1 "$how: an unwritable --result: exit 2, the program never ran, said once" ||
		diag "$(cat "$T/res-$how.log")"
done

# ---- the client goes away: its run ends ------------------------------------------------------
# In a subshell that outlives it, with its stderr closed: bash reports a child killed by a
# signal ("Killed"), and here that is the point.
("$GB_RUN_BIN" run --quiet --wall-time 60 --bind-ro "$PROBES:/probes" -- /probes/sleeper 60 \
	</dev/null; true) >/dev/null 2>&1 &
sub=$!
bg_track "$sub"
client=
for _ in $(seq 100); do
	client=$(pgrep -P "$sub" | head -n 1)
	[ -n "$client" ] && break
	sleep 0.02
done
bg_track "${client:-$sub}"
seen=
for _ in $(seq 100); do
	seen=$(busy_procs | awk '$4 == "sleeper"')
	[ -n "$seen" ] && break
	sleep 0.05
done
ok "a warm run of sleeper 60 started" test -n "$seen"
kill -9 "${client:-$sub}"
wait "$sub" 2>/dev/null || true
is "$(wait_gone busy_procs)" "" "killing the client (SIGKILL) killed its sandbox"

# ---- a worker killed with SIGKILL is replaced ------------------------------------------------
w=$(workers | head -n 1)
kill -9 "$w"
for _ in $(seq 60); do
	grep -q 'starting another' "$T/pool.log" && [ -n "$(workers)" ] && break
	sleep 0.1
done
sleep 0.5
gb_run -- /probes/selfinfo
is_status OK "after a worker was SIGKILLed, the next run works"
is "$(json_field "$GB_JSON" pool)" true "and a new worker served it" || diag "$(tail -n 5 "$T/pool.log")"

# ---- stopping ---------------------------------------------------------------------------
rc=0
stop_pool || rc=$?
is "$rc" 0 "SIGTERM stops the pool (exit 0)"
ok "the socket is removed" test ! -e "$SOCK"
is "$(wait_gone sandbox_procs)" "" "no sandbox process is left"
is "$(comm -13 <(echo "$before_boxes") <(boxes))" "" "no cgroup of the pool is left"
