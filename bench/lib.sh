# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Sourced by the bench scripts.

# bench_private_gradebox ROOT: copies build/gradebox, build/gradebox-run and build/gradebox-grader to
# build/bench/tree/build/ and prints the copy's path. A rebuild of the tree during a run must not
# swap binaries under a server (its unpacker execs the grader binary inside each sandbox). The
# copies find policies/ and schema/ next to their directory, as in the tree.
bench_private_gradebox() {
	local root=$1 priv=$1/build/bench/tree
	mkdir -p "$priv/build"
	ln -sfn "$root/policies" "$priv/policies"
	ln -sfn "$root/schema" "$priv/schema"
	cp "$root/build/gradebox" "$root/build/gradebox-run" "$root/build/gradebox-grader" "$priv/build/"
	echo "$priv/build/gradebox"
}
