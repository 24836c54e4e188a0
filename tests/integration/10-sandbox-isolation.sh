#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Isolation of `gradebox run`: who the program is (pid namespace, unprivileged mapped uid,
# distinct ranges per sandbox, empty capability sets, no_new_privs, seccomp), what it sees
# (hostname, filesystem, overlay that never reaches the host or the next run, network), and
# that each never-allowed syscall is a named security violation. Every check fails if the
# isolation it names broke. Probes: tests/probes/*.c, bound read-only at /probes.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

gb_require

# contained DESC WHAT: the last run either was killed for a denied syscall (SV) or ran to the
# end with the probe reporting WHAT as blocked. Anything else (escaped, crashed) fails.
contained() {
	local line
	line=$(result_line "$GB_OUT" "$2")
	if [ "$GB_STATUS" = SV ]; then
		_pass "$1: contained (SV, denied_syscall '$(json_field "$GB_JSON" denied_syscall)')"
	elif [ "$GB_STATUS" = OK ] && [[ $line == "RESULT blocked "* ]]; then
		_pass "$1: contained (${line#RESULT blocked })"
	elif [ "$GB_STATUS" = SG ] && [ "$(json_field "$GB_JSON" signal)" = 31 ]; then
		_pass "$1: contained (SIGSYS: the filter's kill action, not named)"
	else
		_fail "$1: contained (SV, or the call failed)"
		gb_diag "$T/r"
	fi
}

# ---- who the program is -----------------------------------------------------------------

gb_run -- /probes/selfinfo
is_status OK "selfinfo runs in the sandbox"
S=$T/selfinfo.txt
cp "$GB_OUT" "$S" 2>/dev/null || : >"$S"

is "$(kv "$S" ppid)" 1 "the program's parent is pid 1 (the sandbox init)"
cmp_ok "$(kv "$S" pid)" '>' 1 "the program is not pid 1 itself"
isnt "$(kv "$S" init_cmdline)" "$(tr '\0' ' ' </proc/1/cmdline | sed 's/ $//')" \
	"pid 1 inside is not the host's init"
like "$(kv "$S" init_comm)" '^gradebox' "pid 1 inside is the sandbox's init ($(kv "$S" init_comm))"
# The init is a fork of the supervisor: its command line would be the host's `gradebox run ...`,
# which names host paths (the probes' directory, the result file), had it not been blanked.
ok "pid 1's command line reveals no host path ($(kv "$S" init_cmdline))" \
	test "$(grep -c -e "$ROOT" -e "$T" <<<"$(kv "$S" init_cmdline)")" = 0
# A fresh pid namespace shows the init and the program, nothing of the host.
cmp_ok "$(kv "$S" nprocs)" '<=' 2 "only the init and the program are visible in /proc ($(kv "$S" procs))"

is "$(kv "$S" uid)" 1000 "uid inside is 1000"
is "$(kv "$S" euid)" 1000 "euid inside is 1000"
isnt "$(kv "$S" gid)" 0 "gid inside is not 0"
# setgroups=deny keeps the host's supplementary gid 0, which shows up as the overflow gid.
unlike ",$(kv "$S" groups)," ',(0|65534),' "no supplementary group 0 or overflow gid ($(kv "$S" groups))"

# uid_map lines are "INSIDE OUTSIDE COUNT"; every outside uid must be an unprivileged one.
check_map() {
	local name=$1 line inside outside count host_for_1000="" low=""
	while read -r inside outside count; do
		[ -n "$inside" ] || continue
		if [ -z "$low" ] || ((outside < low)); then low=$outside; fi
		if ((inside <= 1000 && 1000 < inside + count)); then
			host_for_1000=$((outside + 1000 - inside))
		fi
	done < <(sed -n "s/^$name=//p" "$S")
	line=$(sed -n "s/^$name=//p" "$S" | tr '\n' ';')
	cmp_ok "${host_for_1000:-none}" '>=' 1000000 "$name maps 1000 to a host id >= 1000000 ($line)"
	cmp_ok "${low:-none}" '>=' 1000000 "$name maps no host id below 1000000, so never host root"
}
check_map uid_map
check_map gid_map
cmp_ok "$(json_field "$GB_JSON" host_uid_base)" '>=' 1000000 "the result's host_uid_base is >= 1000000"

for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
	is "$(kv "$S" $cap)" 0000000000000000 "$cap is empty"
done
is "$(kv "$S" NoNewPrivs)" 1 "no_new_privs is set"
is "$(kv "$S" Seccomp)" 2 "a seccomp filter is loaded (mode 2)"
isnt "$(kv "$S" hostname)" "$(hostname)" "hostname inside ($(kv "$S" hostname)) is not the host's"
is "$(kv "$S" netdevs)" lo "the network namespace has only loopback"

# Two sandboxes that overlap in time get disjoint host uid ranges.
gb_run_as "$T/c1" -- /probes/selfinfo 1500 &
c1=$!
gb_run_as "$T/c2" -- /probes/selfinfo 1500 &
c2=$!
wait "$c1" || true
wait "$c2" || true
s1=$(json_field "$T/c1.json" status)
s2=$(json_field "$T/c2.json" status)
if [ "$s1" = OK ] && [ "$s2" = OK ]; then
	a0=$(kv "$T/c1.out" t_start_ms) a1=$(kv "$T/c1.out" t_end_ms)
	b0=$(kv "$T/c2.out" t_start_ms) b1=$(kv "$T/c2.out" t_end_ms)
	ok "the two sandboxes ran at the same time" test "$a0" -lt "$b1" -a "$b0" -lt "$a1"
	isnt "$(json_field "$T/c1.json" host_uid_base)" "$(json_field "$T/c2.json" host_uid_base)" \
		"concurrent sandboxes report different host_uid_base"
	o1='' n1='' o2='' n2=''
	read -r _ o1 n1 < <(sed -n 's/^uid_map=//p' "$T/c1.out" | head -n 1) || true
	read -r _ o2 n2 < <(sed -n 's/^uid_map=//p' "$T/c2.out" | head -n 1) || true
	if [ -n "$o1" ] && [ -n "$n1" ] && [ -n "$o2" ] && [ -n "$n2" ]; then
		ok "concurrent sandboxes have disjoint host uid ranges ($o1+$n1, $o2+$n2)" \
			test $((o1 + n1)) -le "$o2" -o $((o2 + n2)) -le "$o1"
	else
		_fail "concurrent sandboxes have disjoint host uid ranges (no uid_map: '$o1 $n1' '$o2 $n2')"
	fi
else
	_fail "two concurrent sandboxes run (statuses '$s1' '$s2')"
	gb_diag "$T/c1"
	gb_diag "$T/c2"
fi

# ---- filesystem --------------------------------------------------------------------------

marker=gbprobe-$$-$RANDOM
gb_run -- /probes/fsprobe
F=$T/fsprobe.txt
cp "$GB_OUT" "$F" 2>/dev/null || : >"$F"
is_status OK "fsprobe battery: nothing escaped (exit 0)"
is "$(grep '^RESULT escaped' "$F" || true)" "" "fsprobe reports no escape"
like "$(result_line "$F" write:/usr/bin/gbprobe-x)" 'blocked .* errno=EROFS' "writing /usr (default image) fails with EROFS"
ok "nothing appeared in the host's /usr/bin" test ! -e /usr/bin/gbprobe-x
# The image belongs to host root, unmapped inside: the sandbox user may write only where it
# owns the directory (/box, /tmp); the rest of the image is read-only to it.
like "$(result_line "$F" write:/etc/gbprobe-x)" 'blocked .* errno=EACCES' "writing /etc is refused (the image is not the sandbox user's)"
ok "the write to /etc did not reach the host" test ! -e /etc/gbprobe-x
like "$(result_line "$F" write:/box/gbprobe-x)" '^RESULT allowed' "the working directory /box is writable"
like "$(result_line "$F" write:/tmp/gbprobe-x)" '^RESULT allowed' "/tmp is writable"
like "$(result_line "$F" read:/etc/shadow)" '^RESULT blocked' "/etc/shadow is not readable"
like "$(result_line "$F" ls:/root)" '^RESULT blocked' "/root is absent or empty"
like "$(result_line "$F" read:/proc/1/environ)" '^RESULT blocked' "the init's environment (the supervisor's) is not readable"
like "$(result_line "$F" read:/proc/1/root/etc/shadow)" '^RESULT blocked' "no shadow through /proc/1/root"
like "$(result_line "$F" ls:/proc/1/root/root)" '^RESULT blocked' "no /root through /proc/1/root"
like "$(result_line "$F" ls:/sys/fs/cgroup)" '^RESULT blocked' "the host's cgroup tree is not visible"
like "$(result_line "$F" ls:/sys)" 'errno=|entries=0 ' "/sys is absent or empty"
like "$(result_line "$F" write:/proc/sys/kernel/hostname)" '^RESULT blocked' "/proc/sys/kernel/hostname is not writable"
gb_run -- /probes/fsprobe mknod
contained "mknod of a character device" 'mknod:/tmp/gbprobe-null\(c1:3\)'
devs=$(result_line "$F" ls:/dev)
like "$devs" 'names=' "/dev can be listed"
for d in null zero full random urandom; do
	like "$devs" "[=,]$d(,|\$)" "/dev/$d exists"
done
unlike "$devs" '[=,](mem|kmem|port|kmsg|console|vd[a-z]+|sd[a-z]+|nvme[0-9a-z]*|loop[0-9]+|tty[0-9]+|ttyS[0-9]+|fuse|net|kvm|vsock|vhost-[a-z]+)(,|$)' \
	"/dev has no host device nodes"

# The next run starts from the image again: nothing of the previous run's writes.
gb_run -- /probes/fsprobe stat /etc/gbprobe-x
like "$(result_line "$GB_OUT" stat:/etc/gbprobe-x)" 'blocked .* errno=ENOENT' "a write to /etc does not reach the next run"
gb_run -- /probes/fsprobe stat /box/gbprobe-x
like "$(result_line "$GB_OUT" stat:/box/gbprobe-x)" 'blocked .* errno=ENOENT' "a write to /box does not reach the next run"
gb_run -- /probes/fsprobe write "/usr/$marker"
like "$(result_line "$GB_OUT" "write:/usr/$marker")" 'blocked .* errno=EROFS' "writing /usr/NEW fails with EROFS"
ok "and /usr/NEW does not exist on the host" test ! -e "/usr/$marker"

# A small image of our own: a directory with one static binary and an /etc. Its /etc and
# motd are world-writable, so permissions allow the writes and what is tested is where they
# land (the per-run upper layer), not who may write.
img=$T/img
mkdir -p "$img/bin" "$img/etc"
cp "$PROBES/fsprobe" "$img/bin/fsprobe"
echo original >"$img/etc/motd"
chmod 0777 "$img/etc"
chmod 0666 "$img/etc/motd"
img_sum=$(cd "$img" && find . -printf '%p %s %m\n' | sort | md5sum)
GB_NO_PROBES=1 gb_run --image "$img" -- /bin/fsprobe write /etc/motd changed
is_status OK "--image DIR: a static binary from the image runs"
like "$(result_line "$GB_OUT" write:/etc/motd)" '^RESULT allowed' "--image: /etc/motd can be rewritten inside"
is "$(cat "$img/etc/motd")" original "--image: the host's image file is unchanged"
GB_NO_PROBES=1 gb_run --image "$img" -- /bin/fsprobe write "/etc/$marker"
like "$(result_line "$GB_OUT" "write:/etc/$marker")" '^RESULT allowed' "--image: a new file in /etc can be created inside"
ok "--image: the new file is not in the host's image" test ! -e "$img/etc/$marker"
GB_NO_PROBES=1 gb_run --image "$img" -- /bin/fsprobe read /etc/motd
like "$(result_line "$GB_OUT" read:/etc/motd)" 'line=original$' "--image: the next run sees the original /etc/motd"
GB_NO_PROBES=1 gb_run --image "$img" -- /bin/fsprobe stat "/etc/$marker"
like "$(result_line "$GB_OUT" "stat:/etc/$marker")" 'errno=ENOENT' "--image: the next run does not see the new file"
mkdir -p "$T/wd"
GB_NO_PROBES=1 gb_run --image "$img" --workdir "$T/wd" -- /bin/fsprobe write "/etc/$marker"
is_status OK "--image with --workdir DIR runs"
ok "--workdir: the write landed in DIR/upper" test -f "$T/wd/upper/etc/$marker"
ok "--workdir: and not in the image" test ! -e "$img/etc/$marker"
is "$(cd "$img" && find . -printf '%p %s %m\n' | sort | md5sum)" "$img_sum" "--image: the image tree is byte-for-byte as before (names, sizes, modes)"
# The root's overlay options in /proc/self/mountinfo name its layers; with host paths they
# would tell the program where the image, the extra layers and the writable layer live.
mkdir -p "$T/layer"
GB_NO_PROBES=1 gb_run --image "$img" --layer "$T/layer" --workdir "$T/wd" -- /bin/fsprobe read /proc/self/mountinfo
mi=$(result_line "$GB_OUT" read:/proc/self/mountinfo)
like "$mi" ' / / .* overlay overlay .*lowerdir=l1:image,upperdir=upper,workdir=work' \
	"the root overlay's options name its layers by neutral names ($mi)"
unlike "$mi" "$T|/run/gradebox|$ROOT" "... and no host path of a layer, the image or the writable layer"

# ---- network -----------------------------------------------------------------------------

# A listener on the host's loopback that logs every TCP connection and UDP datagram.
"$PY" -c '
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
for _ in range(20):
    t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port)); break
    except OSError:
        t.close(); t = socket.socket()
t.listen(16)
open(sys.argv[2], "w").write(str(port))
def udp():
    while True:
        d, a = u.recvfrom(2048); log.write("udp %s %r\n" % (a[0], d))
threading.Thread(target=udp, daemon=True).start()
while True:
    c, a = t.accept(); log.write("tcp %s\n" % a[0]); c.close()
' "$T/listener.log" "$T/port" &
bg_track $!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port" 2>/dev/null || true)
if [ -n "$port" ]; then
	# Control: from the host the listener is reachable, so the sandbox check means something.
	"$PROBES/netprobe" "$port" >"$T/host-net.txt" || true
	sleep 0.3
	like "$(result_line "$T/host-net.txt" "tcp:127.0.0.1:$port")" 'connected' "control: the host reaches its loopback listener"
	like "$(cat "$T/listener.log")" 'udp 127.0.0.1' "control: the listener logs the host's UDP datagram"
	: >"$T/listener.log"
	host_ip=$(hostname -I 2>/dev/null | awk '{print $1}')
	# Under the default policy sockets are a seccomp kill; either way nothing may connect.
	gb_run -- /probes/netprobe "$port"
	contained "TCP to the host's loopback listener (default policy)" "tcp:127.0.0.1:$port"
	# The network namespace on its own, with a policy that allows the socket calls.
	printf 'include run\nallow socket if arg0 == 2\nallow connect sendto getsockopt\n' >"$T/net.policy"
	gb_run --policy "$T/net.policy" -- /probes/netprobe "$port" ${host_ip:+"$host_ip"}
	is_status OK "netprobe under a policy allowing sockets: nothing connected (exit 0)"
	like "$(result_line "$GB_OUT" "tcp:127.0.0.1:$port")" 'blocked .* errno=ECONNREFUSED' \
		"no TCP connection to the host's loopback listener (refused: the sandbox's own loopback)"
	if [ -n "$host_ip" ]; then
		like "$(result_line "$GB_OUT" "tcp:$host_ip:$port")" '^RESULT blocked .* errno=(ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|ETIMEDOUT|EPERM|EACCES)' \
			"no TCP connection to the host's address $host_ip"
	else
		skip "no TCP connection to the host's address" "the host has no address besides loopback"
	fi
	sleep 0.3
	is "$(cat "$T/listener.log")" "" "the host listener saw no TCP connection or UDP datagram from the sandbox"
else
	_fail "start a loopback listener on the host"
fi

# ---- syscalls ----------------------------------------------------------------------------

gb_run -- /probes/try-syscall getpid
is_status OK "control: an allowed syscall (getpid) works"
like "$(result_line "$GB_OUT" getpid)" '^RESULT allowed' "control: getpid returned a pid"

# Each never-allowed call kills the sandbox with SV and is named in the result.
for name in ptrace mount keyctl bpf io_uring_setup unshare; do
	gb_run -- /probes/try-syscall "$name"
	is_status SV "$name: the sandbox is killed (SV)"
	is "$(json_field "$GB_JSON" denied_syscall)" "$name" "$name: named in denied_syscall"
	ok "$name: the probe reached the call before it died" grep -qx "TRY $name" "$GB_OUT"
done

# int 0x80 (the i386 ABI). Some hypervisor guests have no int 0x80 gate at all (the
# instruction faults before any syscall): learn which kind of kernel this is from a bare
# i386 getpid on the host (harmless), then expect SV named i386 getpid, or the fault.
host_int80=$(PROBE_FORCE=1 "$PROBES/try-syscall" int80 2>/dev/null | grep '^RESULT' || true)
gb_run -- /probes/try-syscall int80
denied=$(json_field "$GB_JSON" denied_syscall)
note "int80: host says '$host_int80'; sandbox status '$GB_STATUS', denied_syscall '$denied'"
if [[ $host_int80 == *fault=SIGSEGV* ]]; then
	ok "int80: no i386 syscall ran (SV, or the platform's #GP)" \
		test "$GB_STATUS" = SV -o -n "$(result_line "$GB_OUT" int80 | grep 'fault=SIGSEGV')"
	unlike "$(cat "$GB_OUT" 2>/dev/null)" 'RESULT escaped' "int80: not escaped"
	skip "int80: SV names i386 getpid" "this kernel has no int 0x80 gate (#GP on the host too)"
else
	is_status SV "int80: the sandbox is killed (SV)"
	like "$denied" '(getpid|i386)' "int80: denied_syscall names i386 getpid"
fi

# The rest of the never-allowed list: each is either killed (SV) or fails inside.
for name in ptrace-attach umount2 add_key setns perf_event_open userfaultfd open_by_handle_at \
	pivot_root chroot kexec_load init_module clone clone3 tiocsti netlink packet x32; do
	gb_run -- /probes/try-syscall "$name"
	contained "$name" "$name"
done

gb_check_leaks
done_testing
