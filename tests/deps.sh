#!/usr/bin/env bash
# Installs the Debian packages gradebox needs that this machine lacks. Root only; as another
# user it only lists what is missing. Called by `make deps`, `make demo`, `make test`, .ci/run.
set -euo pipefail
pkgs=(build-essential pkg-config libseccomp-dev libcap-dev libevent-dev libsqlite3-dev
      libarchive-dev libjansson-dev nettle-dev sqlite3 bubblewrap hyperfine wrk time util-linux
      libtest-harness-perl python3 clang clang-format curl bc musl-tools strace)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages (run as root to install): ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }
