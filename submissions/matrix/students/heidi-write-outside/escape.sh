#!/bin/sh
# HOSTILE helper of heidi-write-outside/Makefile: tries to write outside /box and prints a C
# header on stdout: ESCAPED is "" when everything was refused, else the list of places that
# accepted a write. Whatever succeeds is removed again; nothing existing is overwritten or
# truncated. Guard: does nothing as root or outside /box, so a run on a workstation is
# harmless.
if [ "$(id -u)" = 0 ] || [ "$(pwd)" != /box ]; then
	echo '#define ESCAPED ""'
	exit 0
fi
escaped=""
worked() { # $1: what worked; $2: what to remove
	escaped="$escaped $1"
	rm -rf "$2" 2>/dev/null
}
for p in /usr/local/bin/gradebox-pwned /usr/bin/gradebox-pwned /usr/lib/gradebox-pwned \
	/usr/include/gradebox-pwned.h /etc/gradebox-pwned /gradebox-pwned \
	/box/../gradebox-pwned /root/gradebox-pwned /home/gradebox-pwned /dev/gradebox-pwned \
	/proc/1/root/usr/bin/gradebox-pwned; do
	# noclobber: never truncate a file that exists
	if (set -C; : > "$p") 2>/dev/null; then worked "$p" "$p"; fi
done
if (: >> /etc/passwd) 2>/dev/null; then escaped="$escaped /etc/passwd"; fi
if mkdir /usr/gradebox-pwned 2>/dev/null; then worked /usr/gradebox-pwned/ /usr/gradebox-pwned; fi
if cp -n escape.sh /usr/local/bin/gradebox-pwned-cp 2>/dev/null; then
	worked "cp /usr/local/bin" /usr/local/bin/gradebox-pwned-cp
fi
if [ ! -e /usr/bin/gradebox-pwned-suid ] && install -m 4755 escape.sh /usr/bin/gradebox-pwned-suid 2>/dev/null; then
	worked "install -m 4755 /usr/bin" /usr/bin/gradebox-pwned-suid
fi
if ln escape.sh /usr/bin/gradebox-pwned-hardlink 2>/dev/null; then
	worked "ln /usr/bin" /usr/bin/gradebox-pwned-hardlink
fi
if ln -s /box/matmul /usr/bin/gradebox-pwned-symlink 2>/dev/null; then
	worked "ln -s /usr/bin" /usr/bin/gradebox-pwned-symlink
fi
printf '#define ESCAPED "%s"\n' "$escaped"
exit 0
