#!/bin/bash
# make-tarballs.sh OUTDIR: packs every sample submission, submissions/<assignment>/students/
# <student>/, into OUTDIR/<assignment>/<student>.tar.gz. Deterministic: sorted names, owner
# and group 0, mtime 0, normalised modes (only the x bit comes from the checkout) and a gzip
# header without name or time, so the same tree always gives the same bytes (and the same
# sha256 in the database). Entries are "./sum.c" etc., as `tar czf x.tgz .` writes them.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
out=$1
here=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C

n=0
for dir in "$here"/*/students/*/; do
	dir=${dir%/}
	student=$(basename "$dir")
	assignment=$(basename "$(dirname "$(dirname "$dir")")")
	mkdir -p "$out/$assignment"
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
		--mode='u+rwX,go+rX,go-w' --format=gnu \
		-C "$dir" -cf - . | gzip -n -9 >"$out/$assignment/$student.tar.gz.tmp"
	mv "$out/$assignment/$student.tar.gz.tmp" "$out/$assignment/$student.tar.gz"
	n=$((n + 1))
done
echo "$n tarballs in $out"
