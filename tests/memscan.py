# SPDX-License-Identifier: MIT
# memscan.py PID NEEDLE: does the process's writable memory (heap, stack, data, anonymous
# mappings) hold NEEDLE? Prints "found", "absent" or "gone" (the process ended meanwhile).
# Root only (/proc/PID/mem). Used by 25-server-crash.sh: a grading worker must not hold the
# staff token, while the server (the control) does.
import sys

pid, needle = sys.argv[1], sys.argv[2].encode()
try:
    maps = open("/proc/%s/maps" % pid).read().splitlines()
    mem = open("/proc/%s/mem" % pid, "rb", 0)
except OSError:
    print("gone")
    sys.exit(0)
found = False
for line in maps:
    fields = line.split()
    lo, hi = (int(x, 16) for x in fields[0].split("-"))
    if "rw" not in fields[1] or hi - lo > (256 << 20):
        continue
    try:
        mem.seek(lo)
        if needle in mem.read(hi - lo):
            found = True
            break
    except OSError:
        continue  # an unreadable mapping ([vvar] and the like)
try:
    open("/proc/%s/maps" % pid).close()
except OSError:
    print("gone")
    sys.exit(0)
print("found" if found else "absent")
