#!/bin/bash
# make-hostile.sh OUTDIR: writes archives that student-submission intake must reject (and a
# couple it must accept) into OUTDIR, deterministically. What each must give is in
# expected.tsv next to this script. Every archive carries a valid submission for the "sum"
# assignment (../sum/students/alice-good/sum.c) besides its bad entry, so a rejection can only
# be due to that entry. Nothing here is extracted or executed: python3's tarfile/zipfile only
# write headers and data. The decompression bomb is generated streaming (1 GiB of zeros never
# exists anywhere but compressed, ~1 MB); the whole OUTDIR is about 2 MB and takes ~15 s.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
exec python3 - "$1" "$here/../sum/students/alice-good/sum.c" <<'EOF'
import gzip
import io
import os
import sys
import tarfile
import zipfile

out, sum_c_path = sys.argv[1], sys.argv[2]
SUM_C = open(sum_c_path, "rb").read()


def info(name, size=0, type=tarfile.REGTYPE, mode=0o644, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.mode, ti.linkname = size, type, mode, linkname
    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 0, 0, 0, "", ""
    if type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        ti.devmajor, ti.devminor = 1, 3  # /dev/null's numbers
    return ti


class Zeros(io.RawIOBase):
    """A file of @n zero bytes that is never materialised."""

    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def tgz(name, entries, fmt=tarfile.GNU_FORMAT, level=9):
    """entries: list of (TarInfo, bytes | file object | None)."""
    path = os.path.join(out, name)
    with open(path + ".tmp", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=level) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=fmt) as tar:
                for ti, data in entries:
                    if isinstance(data, bytes):
                        ti.size = len(data)
                        data = io.BytesIO(data)
                    tar.addfile(ti, data)
    os.replace(path + ".tmp", path)


def good():
    return (info("sum.c"), SUM_C)


def reg(name, data=b"x\n", mode=0o644):
    return (info(name, mode=mode), data)


# 1. Path traversal, absolute path.
tgz("traversal.tar.gz", [good(), reg("../../../../tmp/gradebox-pwned")])
tgz("traversal-inner.tar.gz", [good(), reg("src/../../gradebox-pwned")])
tgz("absolute.tar.gz", [good(), reg("/tmp/gradebox-pwned")])
# 2. A symlink to /etc, then a file written "through" it.
tgz("symlink-write-through.tar.gz",
    [good(), (info("etc", type=tarfile.SYMTYPE, linkname="/etc"), None),
     reg("etc/gradebox-pwned")])
# A relative symlink that stays inside is still refused: no links at all.
tgz("symlink-inside.tar.gz",
    [good(), (info("sum-link.c", type=tarfile.SYMTYPE, linkname="sum.c"), None)])
# 3. A hard link to /etc/passwd (then data appended to it by a later entry of the same name).
tgz("hardlink-passwd.tar.gz",
    [good(), (info("passwd", type=tarfile.LNKTYPE, linkname="/etc/passwd"), None),
     reg("passwd", b"pwned::0:0::/:/bin/sh\n")])
# 4. Special files.
tgz("chardev.tar.gz", [good(), (info("null", type=tarfile.CHRTYPE), None)])
tgz("blockdev.tar.gz", [good(), (info("sda", type=tarfile.BLKTYPE), None)])
tgz("fifo.tar.gz", [good(), (info("pipe", type=tarfile.FIFOTYPE), None)])
# 5. setuid/setgid/sticky bits: accepted, the file gets plain 0755.
tgz("setuid.tar.gz", [good(), reg("run.sh", b"#!/bin/sh\nexec ./sum\n", mode=0o6755),
                      reg("data.txt", b"1\n", mode=0o1666)])
# 6. Decompression bombs. One 1 GiB file of zeros (the header announces 1 GiB: refused
# before decompressing); five 15 MiB files, each under the per-file limit, 75 MiB in all
# (over the 64 MiB total: refused while counting the data).
GIB = 1 << 30
tgz("bomb-1gib.tar.gz", [good(), (info("zeros", size=GIB), Zeros(GIB))])
tgz("bomb-total.tar.gz", [good()] + [(info("zeros%d" % i, size=15 << 20), Zeros(15 << 20))
                                     for i in range(5)])
# 7. 5000 directories deep (one entry whose path has 5001 components; pax header).
tgz("deep-5000.tar.gz", [good(), reg("d/" * 5000 + "f")], fmt=tarfile.PAX_FORMAT)
# 8. 100000 entries (empty files in 100 directories).
tgz("entries-100k.tar.gz", [good()] + [reg("d%02d/f%05d" % (i // 1000, i), b"")
                                       for i in range(100000)], level=6)
# 9. Names: a 5001-byte path (past PATH_MAX, 4096) of 20 components of 249 bytes, and a
# single 300-byte component (past NAME_MAX, 255).
tgz("path-5000.tar.gz", [good(), reg("/".join(["p" * 249] * 20) + "/f")],
    fmt=tarfile.PAX_FORMAT)
tgz("name-300.tar.gz", [good(), reg("n" * 300)], fmt=tarfile.PAX_FORMAT)
# 10. Truncated: a valid .tar.gz cut in the middle of a file's data.
tgz("whole.tmp", [good(), reg("notes.txt", bytes(range(256)) * 400)], level=0)
whole = open(os.path.join(out, "whole.tmp"), "rb").read()
os.remove(os.path.join(out, "whole.tmp"))
with open(os.path.join(out, "truncated.tar.gz"), "wb") as f:
    f.write(whole[:len(whole) // 2])
# 11. Not an archive at all, and an empty file.
with open(os.path.join(out, "not-an-archive.tar.gz"), "wb") as f:
    f.write(b"Dear TA, my code is attached below.\n\n" + SUM_C)
open(os.path.join(out, "empty.tar.gz"), "wb").close()
# 12. Duplicates and a file used as a directory.
tgz("duplicate.tar.gz", [good(), reg("sum.c", b"int main(void) { return 1; }\n")])
tgz("file-as-parent.tar.gz", [good(), reg("sum.c/evil.c")])
# 13. Zip: traversal, absolute, and a clean zip that must be accepted.


def zipit(name, members):
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members:
            zi = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)


zipit("traversal.zip", [("sum.c", SUM_C), ("../../../../tmp/gradebox-pwned", b"x\n")])
zipit("absolute.zip", [("sum.c", SUM_C), ("/tmp/gradebox-pwned", b"x\n")])
zipit("clean.zip", [("sum.c", SUM_C)])
print("hostile archives in", out)
EOF
