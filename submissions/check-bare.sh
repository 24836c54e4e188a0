#!/bin/bash
# check-bare.sh: sanity check of the samples WITHOUT the sandbox, for whoever edits them.
#  1. compiles every student's C sources with gcc into a temporary directory (compiling is
#     harmless; hostile Makefiles are never run, sources are compiled with gcc directly);
#  2. runs only the benign students in SAFE below, bare, under `ulimit -t` and `timeout`,
#     on every test, and compares each outcome with expected-tests.tsv (AC/WA by the
#     assignment's checker re-implemented here, RE by exit status, SG by signal, TLE by the
#     CPU rlimit).
# Never add a hostile student (memory, output, fork, seccomp, escape attempts) to SAFE.
set -euo pipefail
cd "$(dirname "$0")"
exec python3 - <<'EOF'
import json, os, re, resource, signal, subprocess, sys, tempfile

SAFE = {"sum": ["alice-good", "bob-wrong", "dave-slow", "erin-crash-segv", "frank-crash-exit"],
        "matrix": ["alice-good", "bob-float"]}
COMPILE_FAILS = {("sum", "carol-doesnotcompile"), ("matrix", "carol-missing-file")}
NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def same(spec, exp, got):
    e, g = exp.split(), got.split()
    if spec.get("checker") == "exact":
        return exp == got
    if len(e) != len(g):
        return False
    fl = spec.get("checker") if isinstance(spec.get("checker"), dict) else {}
    tol = fl.get("float")
    if tol is None:
        return e == g
    ab, rel = (tol, tol) if not isinstance(tol, dict) else (tol.get("absolute", 0), tol.get("relative", 0))
    for x, y in zip(e, g):
        if NUM.match(x):
            if not NUM.match(y):
                return False
            d = abs(float(x) - float(y))
            if not (d <= ab or d <= rel * abs(float(x))):
                return False
        elif x != y:
            return False
    return True


expected = {}
for line in open("expected-tests.tsv"):
    if line.strip() and not line.startswith("#"):
        a, s, t, v, _ = line.rstrip("\n").split("\t")
        expected[(a, s, t)] = v.split("|")

tmp = tempfile.mkdtemp(prefix="gradebox-bare-")
bad = 0
for a in ("sum", "matrix"):
    spec = json.load(open(f"{a}/assignment/assignment.json"))
    for s in sorted(os.listdir(f"{a}/students")):
        src = f"{a}/students/{s}"
        exe = f"{tmp}/{a}-{s}"
        cs = sorted(f"{src}/{f}" for f in os.listdir(src) if f.endswith(".c") and f != "gen.c")
        # heidi's escape.h, as her escape.sh writes it when every write was refused
        open(f"{tmp}/escape.h", "w").write('#define ESCAPED ""\n')
        cc = subprocess.run(["gcc", "-O2", "-std=gnu11", "-I", tmp, "-o", exe, *cs],
                            capture_output=True, text=True)
        compiled = cc.returncode == 0
        want = (a, s) not in COMPILE_FAILS
        print(f"{'ok ' if compiled == want else 'BAD'} compile {a}/{s}: {'yes' if compiled else 'no'}")
        bad += compiled != want
        if not compiled or s not in SAFE[a]:
            continue
        for t in spec["tests"]:
            lim = {**spec.get("limits", {}), **t.get("limits", {})}
            cpu = float(lim.get("cpu_time", 2))
            stdin = (open(f"{a}/assignment/{t['input']}", "rb").read() if "input" in t
                     else t.get("stdin", "").encode())
            exp = (open(f"{a}/assignment/{t['expected']}").read() if "expected" in t
                   else t.get("expected_stdout", ""))

            def limit(c=cpu):
                c = max(1, int(c + 0.999))
                resource.setrlimit(resource.RLIMIT_CPU, (c, c))

            try:
                p = subprocess.run([exe, *t.get("args", [])], input=stdin, capture_output=True,
                                   preexec_fn=limit, timeout=float(lim.get("wall_time", 6)) + 2)
                rc = p.returncode
                out = p.stdout.decode(errors="replace")
            except subprocess.TimeoutExpired:
                rc, out = -signal.SIGKILL, ""
            if rc in (-signal.SIGXCPU, -signal.SIGKILL):
                got = "TLE"
            elif rc < 0:
                got = "SG"
            elif rc > 0:
                got = "RE"
            else:
                got = "AC" if same(spec, exp, out) else "WA"
            ok = got in expected.get((a, s, t["name"]), ["?"])
            bad += not ok
            print(f"{'ok ' if ok else 'BAD'}   {a}/{s} {t['name']}: {got}"
                  f" (expected {'|'.join(expected.get((a, s, t['name']), ['?']))})")
subprocess.run(["rm", "-rf", tmp])
print("all as expected" if not bad else f"{bad} unexpected result(s)")
sys.exit(1 if bad else 0)
EOF
