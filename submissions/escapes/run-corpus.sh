#!/bin/bash
# SPDX-License-Identifier: MIT
# run-corpus.sh [--server URL] [--jobs N] [--keep DIR]: grades every escape attempt of
# attempts.tsv (attempts/<name>/attempt.c) and every hostile archive of
# ../hostile-tarballs/make-hostile.sh against assignment/, and prints one table row per
# submission: what it tried, the verdict, whether it was blocked as expected, the layer that
# stopped it (from attempts.tsv, cross-checked against the result), the denied syscall and the
# evidence file. Exits 0 only if every attempt was blocked as expected and every archive was
# handled as expected; the last line is "escapes: N attempts, N blocked, N escaped".
#
#   (default)       `build/gradebox grade --json` per submission, N at a time (default 2);
#                   needs root. Evidence is looked up in /run/gradebox/evidence.
#   --server URL    through a running `gradebox serve`: adds the assignment, submits the
#                   attempts as one batch (persist-check in a second batch after it) and the
#                   archives as a third, waits, and reads each job's results. The token comes
#                   from $GRADEBOX_TOKEN or $GRADEBOX_DATA/token (the CLI's rules); evidence is
#                   looked up in $GRADEBOX_DATA/evidence when that is readable.
#   --keep DIR      keep the tarballs and raw results in DIR (default: a temp dir, removed):
#                   DIR/results/KIND-NAME.json per submission and DIR/results/summary.tsv
#                   (one machine-readable line each, read by tests/integration/30-escapes.sh).
#
# Environment: GRADEBOX=PATH picks the binary (default build/gradebox next to this tree).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GB=${GRADEBOX:-$root/build/gradebox}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
export LC_ALL=C

server=
jobs=2
keep=
usage() {
	echo "usage: $0 [--server URL] [--jobs N] [--keep DIR]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--server) [ $# -ge 2 ] || usage; server=$2; shift 2 ;;
	--server=*) server=${1#--server=}; shift ;;
	--jobs | -j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage
[ -x "$GB" ] || { echo "$0: $GB is missing (make build/gradebox)" >&2; exit 2; }
if [ -z "$server" ] && [ "$(id -u)" != 0 ]; then
	echo "$0: gradebox grade creates sandboxes: run as root (or use --server URL)" >&2
	exit 2
fi

# Not under /tmp/gradebox*: tests/lib.sh's leak checks grep mountinfo for "gradebox".
if [ -n "$keep" ]; then
	work=$keep
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/gbx-escapes.XXXXXX)
fi
gen_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -z "$gen_pid" ] || kill "$gen_pid" 2>/dev/null || true
	[ -n "$keep" ] || rm -rf --one-file-system "$work"
}
trap cleanup EXIT
mkdir -p "$work/attempts" "$work/archives" "$work/results"

assignment=$here/assignment
hostile_gen=$root/submissions/hostile-tarballs/make-hostile.sh
hostile_tsv=$root/submissions/hostile-tarballs/expected.tsv

# ---- the submissions ---------------------------------------------------------------------

# pack DIR OUT: a deterministic .tar.gz of DIR's contents (as make-tarballs.sh packs them).
pack() {
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
		--mode='u+rwX,go+rX,go-w' --format=gnu -C "$1" -cf - . | gzip -n -9 >"$2.tmp"
	mv "$2.tmp" "$2"
}

mapfile -t names < <(awk -F'\t' '!/^#/ && NF { print $1 }' "$here/attempts.tsv")
[ ${#names[@]} -gt 0 ] || { echo "$0: no attempts in attempts.tsv" >&2; exit 2; }
for n in "${names[@]}"; do
	[ -f "$here/attempts/$n/attempt.c" ] || { echo "$0: attempts/$n/attempt.c is missing" >&2; exit 2; }
	pack "$here/attempts/$n" "$work/attempts/$n.tar.gz"
done

# The hostile archives take ~15 s to write (one python3 process): meanwhile the attempts run.
if [ -x "$hostile_gen" ]; then
	"$hostile_gen" "$work/archives" >"$work/archives.log" 2>&1 &
	gen_pid=$!
else
	echo "# note: $hostile_gen is missing: no hostile archives graded" >&2
fi

# ---- grading: locally ----------------------------------------------------------------------

# grade_one KIND NAME FILE: one `gradebox grade --json`, results in $work/results/KIND-NAME.*.
# After persist-daemon, records any process still called gbx-persist-* (its daemon's name).
# shellcheck disable=SC2317 # called through xargs
grade_one() {
	local kind=$1 name=$2 file=$3 out rc
	out=$work/results/$kind-$name
	# 126/127: the binary is being replaced by a rebuild (a shared tree): try again shortly.
	for _ in 1 2 3 4 5; do
		rc=0
		timeout -k 5 120 "$GB" grade --json "$assignment" "$file" >"$out.json" 2>"$out.err" </dev/null || rc=$?
		[ "$rc" = 126 ] || [ "$rc" = 127 ] || break
		sleep 3
	done
	echo "$rc" >"$out.rc"
	# Only after its own grade: while it runs, its daemon is alive, as it may be.
	if [ "$kind" = attempt ] && [ "$name" = persist-daemon ]; then
		ps -e -o pid=,uid=,comm= | awk '$3 ~ /^gbx-persist/' >"$out.survivors" || true
	fi
}

grade_local() {
	export -f grade_one
	export GB work assignment
	for n in "${names[@]}"; do
		printf 'attempt\0%s\0%s\0' "$n" "$work/attempts/$n.tar.gz"
	done | xargs -0 -n 3 -P "$jobs" bash -c 'grade_one "$@"' _
	if [ -n "$gen_pid" ]; then
		if ! wait "$gen_pid"; then
			echo "$0: make-hostile.sh failed:" >&2
			cat "$work/archives.log" >&2
			gen_pid=
			return 1
		fi
		gen_pid=
		for f in "$work"/archives/*; do
			[ -f "$f" ] && printf 'archive\0%s\0%s\0' "$(basename "$f")" "$f"
		done | xargs -0 -r -n 3 -P "$jobs" bash -c 'grade_one "$@"' _
	fi
}

# ---- grading: through a server -------------------------------------------------------------

# gbc ARGS...: the gradebox client pointed at $server.
gbc() { "$GB" "$@" --server "$server"; }

# submit_batch TAG FILES...: one batch, waited for; writes $work/results/TAG.batch
# ("accepted LOGIN job ID" / "rejected FILE: reason" lines, in the order of FILES).
submit_batch() {
	local tag=$1
	shift
	local rc=0
	gbc batch --assignment escapes --wait "$@" >"$work/results/$tag.batch" 2>"$work/results/$tag.batch.err" || rc=$?
	[ $rc -le 1 ] || { echo "$0: gradebox batch failed:" >&2; cat "$work/results/$tag.batch.err" >&2; return 1; }
}

# fetch KIND NAME JOB: the job's results as $work/results/KIND-NAME.json (server format).
fetch() {
	local out=$work/results/$1-$2
	gbc results "$3" --json >"$out.json" 2>"$out.err" || true
	echo server >"$out.rc"
}

# collect KIND TAG FILES...: maps the batch's lines back to the files (same order).
collect() {
	local kind=$1 tag=$2 f name line i=0
	shift 2
	mapfile -t lines < <(grep -E '^(accepted|rejected) ' "$work/results/$tag.batch" || true)
	for f in "$@"; do
		name=$(basename "$f")
		[ "$kind" = attempt ] && name=${name%.tar.gz}
		line=${lines[$i]:-}
		i=$((i + 1))
		case $line in
		accepted*) fetch "$kind" "$name" "${line##* }" ;;
		rejected*)
			# Refused at upload (empty body, not an archive): intake rejected it too.
			printf '{"verdict":"RJ","message":%s,"upload_rejected":true}\n' \
				"$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$line")" \
				>"$work/results/$kind-$name.json"
			;;
		*) echo '{}' >"$work/results/$kind-$name.json" ;;
		esac
	done
}

grade_server() {
	local files=() check=() since
	since=$(date +%s%3N)
	gbc assignment add "$assignment" >"$work/results/assignment.log" 2>&1 ||
		{ echo "$0: adding the assignment failed:" >&2; cat "$work/results/assignment.log" >&2; return 1; }
	for n in "${names[@]}"; do
		# persist-check must run after persist-write has finished: a batch of its own.
		if [ "$n" = persist-check ]; then check+=("$work/attempts/$n.tar.gz"); else files+=("$work/attempts/$n.tar.gz"); fi
	done
	submit_batch attempts "${files[@]}"
	collect attempt attempts "${files[@]}"
	if [ ${#check[@]} -gt 0 ]; then
		submit_batch check "${check[@]}"
		collect attempt check "${check[@]}"
	fi
	ps -e -o pid=,uid=,comm= | awk '$3 ~ /^gbx-persist/' >"$work/results/attempt-persist-daemon.survivors" || true
	# The results route has no evidence: the audit trail's violation rows name it per job.
	gbc audit list --kind violation --since "$since" --limit 10000 --json \
		>"$work/results/audit.json" 2>"$work/results/audit.err" || true
	if [ -n "$gen_pid" ]; then
		wait "$gen_pid" || { echo "$0: make-hostile.sh failed" >&2; cat "$work/archives.log" >&2; gen_pid=; return 1; }
		gen_pid=
		local archives=("$work"/archives/*)
		if [ -f "${archives[0]}" ]; then
			submit_batch archives "${archives[@]}"
			collect archive archives "${archives[@]}"
		fi
	fi
}

if [ -n "$server" ]; then
	grade_server
	evidence_dir=${GRADEBOX_DATA:-/var/lib/gradebox}/evidence
else
	grade_local
	evidence_dir=/run/gradebox/evidence
fi

# ---- the table -----------------------------------------------------------------------------

rc=0
"$PY" - "$here/attempts.tsv" "$hostile_tsv" "$work/results" "$evidence_dir" "${server:+server}" <<'EOF' || rc=$?
import hashlib, json, os, re, sys

tsv, hostile_tsv, results, evidence_dir, mode = sys.argv[1:6]
LAYERS = {"seccomp rule", "empty capabilities", "user-namespace uid mapping", "read-only image",
          "mount namespace", "network namespace", "pid namespace", "ipc namespace",
          "uts namespace", "cgroup namespace", "clean environment", "cgroup pids limit",
          "cgroup memory limit", "cpu time limit", "wall time limit", "output limit", "rlimit",
          "disk limit", "archive check"}
# A limit layer must show in the sandbox's own status, not only in the verdict.
LAYER_STATUS = {"cpu time limit": "TO", "wall time limit": "WT", "cgroup memory limit": "ML",
                "output limit": "OL"}


# Server mode: the violation rows of the audit trail, by job id (evidence and syscall).
violations = {}
try:
    with open(os.path.join(results, "audit.json")) as f:
        for row in json.load(f).get("rows", []):
            if row.get("kind") == "violation" and isinstance(row.get("detail"), dict):
                violations.setdefault(row.get("job_id"), row["detail"])
except (OSError, ValueError, AttributeError):
    pass


def load(kind, name):
    try:
        with open(os.path.join(results, "%s-%s.json" % (kind, name))) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def first_test(j):
    tests = j.get("tests") or []
    return tests[0] if tests else {}


def run_of(j):
    """The sandbox result that decided the verdict: the test's run, else the build's."""
    t = first_test(j)
    if t.get("run"):
        return t["run"]
    if "status" in t:  # server format: the run's fields are on the test
        return t
    return j.get("build") or {}


def denied(j):
    r = run_of(j)
    if r.get("denied_syscall"):
        return r["denied_syscall"]
    if violations.get(j.get("job_id"), {}).get("syscall"):
        return violations[j["job_id"]]["syscall"]
    m = re.search(r"syscall (\S+) denied", (first_test(j).get("message") or "") + " " +
                  (j.get("message") or ""))
    return m.group(1) if m else ""


def output(j):
    t = first_test(j)
    return t.get("output_head") or t.get("stdout_head") or ""


def evidence(j):
    e = first_test(j).get("evidence") or j.get("build_evidence") or {}
    if not e and j.get("job_id") in violations:
        d = violations[j["job_id"]]
        e = {"file": d.get("evidence"), "sha256": d.get("evidence_sha256")}
    return e.get("file") or "", e.get("sha256") or ""


def evidence_ok(name, sha):
    """'' when the file is there and its sha256 is its name; else why not."""
    path = os.path.join(evidence_dir, name)
    if not re.fullmatch(r"[0-9a-f]{64}\.tar\.gz", name) or name[:64] != sha:
        return "bad evidence name '%s'" % name
    try:
        with open(path, "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
    except OSError as e:
        return "evidence %s: %s" % (path, e.strerror)
    return "" if got == sha else "evidence %s: sha256 %s" % (path, got)


rows, problems, summary = [], [], []
n_att = n_blocked = n_escaped = 0
for line in open(tsv):
    if line.startswith("#") or not line.strip():
        continue
    name, cat, what, verdicts, layer, syscall = line.rstrip("\n").split("\t")
    ok_verdicts = verdicts.split("|")
    n_att += 1
    j = load("attempt", name)
    why = ""
    if layer not in LAYERS:
        why = "unknown layer '%s' in attempts.tsv" % layer
    if j is None or "verdict" not in j:
        rows.append((name, cat, what, "??", "no", layer, "", ""))
        try:
            err = open(os.path.join(results, "attempt-%s.err" % name)).read().strip()
            rc = open(os.path.join(results, "attempt-%s.rc" % name)).read().strip()
        except OSError:
            err, rc = "", "?"
        problems.append("%s: no result (%s)" % (name, why or "gradebox exit %s: %s" % (
            rc, err.splitlines()[-1][:200] if err else "no message")))
        continue
    v = j["verdict"]
    sc = denied(j) if v == "SV" else ""
    ev, sha = evidence(j)
    out = output(j)
    escaped = v == "WA" and "ESCAPED" in out
    survivors = ""
    try:
        survivors = open(os.path.join(results, "attempt-%s.survivors" % name)).read().strip()
    except OSError:
        pass
    if survivors:
        escaped = True
        why = "processes survived the run: " + " ".join(survivors.split())
    elif escaped:
        why = out.strip().splitlines()[0][:200]
    elif v not in ok_verdicts:
        why = "verdict %s, expected %s: %s" % (v, verdicts, (j.get("message") or "")[:120])
        if v == "WA":
            why += " (output '%s')" % out.strip()[:80]
    elif v == "SV" and sc != syscall:
        why = "SV names '%s', expected '%s'" % (sc, syscall)
    elif v in ("TLE", "MLE", "OLE") and layer in LAYER_STATUS and \
            run_of(j).get("status") != LAYER_STATUS[layer]:
        why = "status %s, but the layer '%s' means %s" % (run_of(j).get("status"), layer,
                                                        LAYER_STATUS[layer])
    if v == "SV" and not why:
        if not ev:
            why = "SV without an evidence file"
        elif os.path.isdir(evidence_dir):
            why = evidence_ok(ev, sha)
    blocked = not why
    n_blocked += blocked
    n_escaped += escaped
    if why:
        problems.append("%s: %s%s" % (name, "ESCAPED: " if escaped else "", why))
    rows.append((name, cat, what, v, "yes" if blocked else "NO", layer, sc, ev))
    summary.append(("attempt", name, v, "yes" if blocked else "no", "yes" if escaped else "no",
                    layer, sc or "-", ev or "-", sha or "-", why or "-"))

# Hostile archives: expected.tsv of hostile-tarballs says "accept" or "reject: KEYWORD".
# Against this assignment an accepted archive (it holds sum.c, not attempt.c) is CE.
expected = {}
if os.path.exists(hostile_tsv):
    for line in open(hostile_tsv):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        expected[f[0]] = f[1]
n_arch = n_arch_ok = n_rj = 0
for name in sorted(expected):
    if not os.path.exists(os.path.join(results, "archive-%s.json" % name)):
        continue
    n_arch += 1
    j = load("archive", name) or {}
    v = j.get("verdict", "??")
    msg = j.get("message") or ""
    exp = expected[name]
    if exp.startswith("reject: "):
        kw = exp[len("reject: "):]
        # A server refuses an empty or non-archive upload itself (415/400), with its own words.
        good = v == "RJ" and (kw in msg or j.get("upload_rejected"))
        want = "RJ naming '%s'" % kw
        n_rj += v == "RJ"
    else:
        good = v not in ("RJ", "IE", "??")
        want = "accepted (not RJ)"
    n_arch_ok += bool(good)
    if not good:
        problems.append("archive %s: verdict %s, expected %s: %s" % (name, v, want, msg[:150]))
    rows.append((name, "archive", exp if exp == "accept" else "intake: " + exp[8:], v,
                 "yes" if good else "NO", "archive check", "", ""))
    summary.append(("archive", name, v, "yes" if good else "no", "no", "archive check", "-", "-",
                    "-", "-" if good else msg[:150]))
missing = [n for n in expected if not os.path.exists(os.path.join(results, "archive-%s.json" % n))]
if expected and n_arch and missing:
    problems.append("archives not graded: " + " ".join(sorted(missing)))

# For tests/integration/30-escapes.sh: one machine-readable line per submission.
with open(os.path.join(results, "summary.tsv"), "w") as f:
    f.write("# kind\tname\tverdict\tblocked\tescaped\tlayer\tsyscall\tevidence\tsha256\tproblem\n")
    for r in summary:
        f.write("\t".join(x.replace("\t", " ").replace("\n", " ") for x in r) + "\n")


def cut(s, n):
    return s if len(s) <= n else s[:n - 3] + "..."

fmt = "%-20s %-13s %-46s %-4s %-7s %-26s %-18s %s"
print(fmt % ("attempt", "category", "what it tried", "verd", "blocked", "layer", "denied syscall",
             "evidence"))
for r in rows:
    print(fmt % (cut(r[0], 20), r[1], cut(r[2], 46), r[3], r[4], r[5], r[6] or "-", r[7] or "-"))
print()
for p in problems:
    print("PROBLEM: " + p)
if n_arch:
    print("archives: %d archives, %d as expected (%d rejected)" % (n_arch, n_arch_ok, n_rj))
print("escapes: %d attempts, %d blocked, %d escaped" % (n_att, n_blocked, n_escaped))
sys.exit(0 if not problems else 1)
EOF
exit $rc
