#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The escape corpus (submissions/escapes/): every attempt and every hostile archive graded by
# the real pipeline (`gradebox grade`, through submissions/escapes/run-corpus.sh), one TAP
# line each (ok = blocked as attempts.tsv expects; an ESCAPED attempt fails with what it
# reached). Then: each SV left an evidence archive whose sha256 is its name; no process of a
# sandbox uid range, no gbx-persist daemon, no gradebox/box-* cgroup and no mount is left; the
# host's /usr, /etc and /tmp hold none of the files the attempts and archives tried to plant.
# About 70 s on 2 cores.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || skip_all "gradebox grade needs root"
[ -x "$GB" ] || skip_all "$GB not built (make build/gradebox)"
gb_works || skip_all "'gradebox run -- /bin/true' fails here: $(tail -n 1 "$T/gb-works.log")"

corpus=$ROOT/submissions/escapes
keep=$T/corpus
rc=0
GRADEBOX=$GB "$corpus/run-corpus.sh" --keep "$keep" >"$T/corpus.out" 2>"$T/corpus.err" || rc=$?
summary=$keep/results/summary.tsv
if [ ! -s "$summary" ]; then
	echo "1..1"
	echo "not ok 1 - run-corpus.sh produced a summary (exit $rc)"
	diag "$(tail -n 20 "$T/corpus.err")"
	exit 1
fi

# ---- one line per attempt and archive ------------------------------------------------------

n_sv=0
while IFS=$'\t' read -r kind name verdict blocked escaped layer syscall evidence _sha problem; do
	case $kind in '#'* | '') continue ;; esac
	desc="$kind $name: $verdict"
	[ "$syscall" = - ] || desc+=" ($syscall)"
	if [ "$kind" = archive ] && [ "$verdict" != RJ ]; then
		desc+=", accepted by the intake" # CE: it holds sum.c, not attempt.c
	else
		desc+=", stopped by: $layer"
	fi
	if [ "$blocked" = yes ]; then
		_pass "$desc"
	else
		_fail "$desc"
		if [ "$escaped" = yes ]; then diag "ESCAPED: $problem"; else diag "$problem"; fi
	fi
	if [ "$verdict" != SV ] || [ "$kind" != attempt ]; then continue; fi
	n_sv=$((n_sv + 1))
	# The evidence of an SV: present, named after its own sha256 (checked here independently
	# of run-corpus.sh's own check).
	f=/run/gradebox/evidence/$evidence
	if [ "$evidence" != - ] && [ -f "$f" ]; then
		got=$(sha256sum "$f" | cut -d' ' -f1)
		is "$got.tar.gz" "$evidence" "evidence of $name: sha256 matches the file name"
	else
		_fail "evidence of $name: the file exists"
		diag "no evidence file '$evidence' in /run/gradebox/evidence"
	fi
done <"$summary"
cmp_ok "$n_sv" '>=' 20 "the corpus produced at least 20 SV results ($n_sv)"

last=$(tail -n 1 "$T/corpus.out")
like "$last" '^escapes: [0-9]+ attempts, [0-9]+ blocked, 0 escaped$' "run-corpus.sh: $last"
is "$rc" 0 "run-corpus.sh exits 0"
[ "$rc" = 0 ] || diag "$(grep '^PROBLEM' "$T/corpus.out" || true)"

# ---- nothing left behind -------------------------------------------------------------------

# Processes of sandbox uid ranges (2^20 and up). On a shared machine another run's sandbox
# may be finishing: look again for up to 10 s. What is still there then and was started by
# this corpus (the attempts, the build's compiler, the daemon) is a leak; a process with another
# name belongs to someone else's sandbox (make test runs alone, so there it cannot happen):
# it is shown, not counted.
left=
for _ in 1 2 3 4 5 6 7 8 9 10 11; do
	left=$(ps -e -o uid=,pid=,etimes=,comm= | awk '$1 >= 1048576' || true)
	[ -n "$left" ] || break
	sleep 1
done
ours=$(awk '$4 ~ /^(attempt|gbx-|gcc|cc1|as|ld|collect2|sh|gradebox)/' <<<"$left")
is "$ours" "" "no process with a sandbox uid (>= 1048576) from this corpus is left"
others=$(awk '$4 !~ /^(attempt|gbx-|gcc|cc1|as|ld|collect2|sh|gradebox)/' <<<"$left")
[ -z "$others" ] || note "sandbox processes of other runs still alive (uid pid age comm):" "$others"
is "$(pgrep -l '^gbx-persist' || true)" "" "the persist-daemon attempt's daemon did not survive"
left=
for _ in 1 2 3 4 5 6; do
	left=$(gb_cgroup_leaks)
	[ -n "$left" ] || break
	sleep 1
done
is "$left" "" "no gradebox/box-* cgroup is left"
is "$(gb_mount_leaks)" "" "no mount mentioning 'gradebox' in the host's mountinfo"

planted=()
for f in /usr/bin/gbx-pwned /usr/local/bin/gbx-pwned /usr/lib/gbx-pwned.so /usr/gbx-pwned \
	/usr/bin/gbx-persist /etc/gbx-persist /etc/gbx-pwned /etc/gbx-xsb /gbx-persist /gbx-pwned \
	/gbx-xsb /root/gbx-pwned /tmp/gradebox-pwned /etc/gradebox-pwned /dev/shm/gbx-marker \
	/dev/shm/gbx-persist; do
	[ -e "$f" ] && planted+=("$f")
done
is "${planted[*]}" "" "none of the files the attempts and archives tried to plant exists on the host"

done_testing
