#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Limits of `gradebox run`: memory (ML), pids (fork bomb contained, nothing survives), CPU
# time (TO), wall time (WT), output (OL, cut at exactly the limit), a daemon that tries to
# outlive the run, the accuracy of the reported CPU time, and no mounts or cgroups left.
# Every check fails if the limit it names did not hold. Probes: tests/probes/*.c at /probes.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

gb_require

# Host processes whose command line contains TAG (probes take a tag argument); none is fine.
procs_tagged() { pgrep -a -f "$1" 2>/dev/null || true; }
tag=gbtag-$$-$RANDOM

# ---- memory ------------------------------------------------------------------------------

gb_run --memory 64M -- /probes/memhog 16
is_status OK "control: memhog 16 MiB under --memory 64M finishes"
gb_run --memory 64M -- /probes/memhog 256
is_status ML "memhog 256 MiB under --memory 64M: ML"
unlike "$(cat "$GB_OUT" 2>/dev/null)" 'RESULT done' "memhog did not get its 256 MiB"
peak=$(json_field "$GB_JSON" memory_peak_kb)
cmp_ok "${peak:-none}" '<=' $((64 * 1024 + 4096)) "memory_peak_kb ($peak) is about the limit, not above it"
cmp_ok "${peak:-none}" '>=' $((32 * 1024)) "memory_peak_kb ($peak) shows the hog got near the limit"

# ---- pids --------------------------------------------------------------------------------

gb_run --pids 32 --wall-time 20 -- /probes/forkbomb 4096 "$tag-fork"
line=$(result_line "$GB_OUT" forkbomb)
note "forkbomb: status '$GB_STATUS', $line"
unlike "$line" '^RESULT escaped' "fork bomb under --pids 32 hit a limit"
if [ "$GB_STATUS" = OK ]; then
	n=$(sed -n 's/.*children=\([0-9]*\).*/\1/p' <<<"$line")
	cmp_ok "${n:-none}" '<' 32 "fork bomb: fewer than 32 processes ($line)"
else
	like "$GB_STATUS" '^(RE|SG|ML|TO|WT)$' "fork bomb: stopped by the sandbox (status $GB_STATUS)"
fi
is "$(procs_tagged "$tag-fork")" "" "no fork bomb child survives the run"
# shellcheck disable=SC2016 # expanded by the inner bash
ok "the host still forks (20 parallel /bin/true)" bash -c 'for i in $(seq 20); do /bin/true & done; wait'

# ---- CPU and wall time -------------------------------------------------------------------

gb_run --cpu-time 0.5 --wall-time 10 -- /probes/cpuspin 5000
is_status TO "cpuspin 5000 ms under --cpu-time 0.5: TO"
cpu=$(json_field "$GB_JSON" cpu_time_ms)
wall=$(json_field "$GB_JSON" wall_time_ms)
cmp_ok "${cpu:-none}" '>=' 450 "TO: cpu_time_ms ($cpu) reached the limit"
cmp_ok "${cpu:-none}" '<=' 1500 "TO: cpu_time_ms ($cpu) did not run far past the limit"
cmp_ok "${wall:-none}" '<' 5000 "TO: the kill came long before the program's 5 s (wall $wall ms)"

gb_run --wall-time 0.5 -- /probes/sleeper 10
is_status WT "sleeper 10 s under --wall-time 0.5: WT"
wall=$(json_field "$GB_JSON" wall_time_ms)
cmp_ok "${wall:-none}" '>=' 500 "WT: wall_time_ms ($wall) reached the limit"
cmp_ok "${wall:-none}" '<=' 2500 "WT: the kill came promptly (wall $wall ms)"
cmp_ok "$(json_field "$GB_JSON" cpu_time_ms)" '<' 200 "WT: a sleeper used almost no CPU"

# ---- output ------------------------------------------------------------------------------

gb_run --output-limit 1M --stdout "$T/flood.out" -- /probes/flood 10M
is_status OL "flood 10 MiB under --output-limit 1M: OL"
size=$(stat -c %s "$T/flood.out" 2>/dev/null || echo none)
is "$size" 1048576 "the --stdout file holds exactly 1 MiB"
is "$(tr -d x <"$T/flood.out" 2>/dev/null | wc -c)" 0 "and only the program's bytes"
cmp_ok "$(json_field "$GB_JSON" output_bytes)" '>=' 1048576 "output_bytes counts at least the limit"

gb_run --output-limit 1M --stdout "$T/flood-ok.out" -- /probes/flood 512K
is_status OK "control: flood 512 KiB under --output-limit 1M is OK"
is "$(stat -c %s "$T/flood-ok.out" 2>/dev/null || echo none)" 524288 "control: all 512 KiB arrived"

# ---- a daemon that outlives the program --------------------------------------------------

mkdir -p "$T/wd"
gb_run --workdir "$T/wd" -- /probes/daemon /box/daemon-marker 1000 "$tag-d1"
is_status OK "daemon: the program itself exits 0"
wall=$(json_field "$GB_JSON" wall_time_ms)
cmp_ok "${wall:-none}" '<' 1000 "daemon: the run ended when the program did, without waiting for the orphan (wall $wall ms)"
sleep 2 # the daemon writes its marker after 1 s, if it is still alive
is "$(find "$T/wd" -name daemon-marker 2>/dev/null)" "" "daemon: the orphan never wrote its marker (it was killed)"
is "$(procs_tagged "$tag-d1")" "" "daemon: no process of it left on the host"

gb_run -- /probes/daemon /tmp/daemon-marker 200 "$tag-d2"
is_status OK "daemon (default workdir): the program itself exits 0"
sleep 0.5
is "$(procs_tagged "$tag-d2")" "" "daemon (default workdir): nothing left running"

# ---- CPU time accounting -----------------------------------------------------------------

# The bare figure: the probe's own CLOCK_PROCESS_CPUTIME_ID at exit (it includes exec). cpuspin
# is harmless, so it runs on the host. Medians of three against medians of three.
median() { sort -n | sed -n '2p'; }
bare=$(for _ in 1 2 3; do "$PROBES/cpuspin" 300 | sed -n 's/.*cpu_ms=\([0-9]*\).*/\1/p'; done | median)
boxed=()
for i in 1 2 3; do
	gb_run_as "$T/spin$i" -- /probes/cpuspin 300
	boxed+=("$(json_field "$T/spin$i.json" cpu_time_ms)")
done
sb=$(printf '%s\n' "${boxed[@]}" | median)
note "cpuspin 300: bare ${bare} ms, sandbox cpu_time_ms ${boxed[*]} (median ${sb:-none})"
if [[ $bare =~ ^[0-9]+$ && $sb =~ ^[0-9]+$ ]]; then
	diff=$((sb > bare ? sb - bare : bare - sb))
	cmp_ok $((diff * 100)) '<=' $((bare * 5)) "cpu_time_ms of a 300 ms program ($sb) is within 5% of its bare run ($bare)"
else
	_fail "cpu_time_ms of a 300 ms program is within 5% of its bare run (bare '$bare', sandbox '${boxed[*]}')"
	gb_diag "$T/spin1"
fi

# ---- nothing left behind -----------------------------------------------------------------

gb_check_leaks
done_testing
