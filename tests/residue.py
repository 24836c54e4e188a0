# SPDX-License-Identifier: MIT
# What one sandboxed run could leave for the next one that shares its network namespace
# (13-pool.sh, 14-repeat.sh). Run inside a sandbox as `python3 -c "$(cat tests/residue.py)"
# MODE PORT`, with a policy that allows sockets. MODE check: looks for what `leave` leaves
# and prints "tcp refused 111", "unix refused 111" (or "... connected"), "PATH absent" (or
# "exists") for each mark and "sleepers N"; leave: listens on TCP PORT and an abstract socket,
# checks it reaches both ("self-connect ok"), writes the marks in /tmp, /box and /dev/shm
# and leaves a child in its own session; both: check, then leave.
import os
import socket
import sys
import time

mode, port = sys.argv[1], int(sys.argv[2])
abstract = "\0gradebox-residue-%d" % port
marks = ("/tmp/gbres-mark", "/box/gbres-mark", "/dev/shm/gbres-mark")

if mode in ("check", "both"):
    for name, fam, addr in (("tcp", socket.AF_INET, ("127.0.0.1", port)),
                            ("unix", socket.AF_UNIX, abstract)):
        s = socket.socket(fam)
        try:
            s.connect(addr)
            print(name, "connected")
        except OSError as e:
            print(name, "refused", e.errno)
    for p in marks:
        print(p, "exists" if os.path.exists(p) else "absent")
    others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()
              and open("/proc/%s/comm" % p).read().strip() == "python3"]
    print("sleepers", len(others))
if mode in ("leave", "both"):
    t = socket.socket()
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", port))
    t.listen(4)
    u = socket.socket(socket.AF_UNIX)
    u.bind(abstract)
    u.listen(4)
    socket.create_connection(("127.0.0.1", port)).close()
    v = socket.socket(socket.AF_UNIX)
    v.connect(abstract)
    v.close()
    print("self-connect ok")
    for p in marks:
        open(p, "w").write("left behind")
    if os.fork() == 0:
        os.setsid()
        time.sleep(60)
    print("child left running", flush=True)
