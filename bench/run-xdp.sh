#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# run-xdp.sh - build xw-bench-xdp in its own build tree and run it.
#
#   sudo bench/run-xdp.sh [xw-bench-xdp options]
#   sudo bench/run-xdp.sh --repeat 1000000 --runs 5
#   XW_BENCH_BUILD=/tmp/b bench/run-xdp.sh --no-peer
#
# The binary cleans up after itself (its namespace, veth, private bpffs);
# this script names the namespace and removes it again if the binary could
# not (killed with SIGKILL, say). See bench/README.md for the table.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${XW_BENCH_BUILD:-$src/build-bench}
ns=xwbench-$$

if [ "$(id -u)" -ne 0 ]; then
	echo "run-xdp.sh: needs root (BPF test runs, netns, xdp-filter)" >&2
	exit 1
fi

cleanup() {
	if [ -e "/run/netns/$ns" ]; then
		ip netns del "$ns" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cmake -S "$src" -B "$build" -G Ninja -DXW_WERROR=ON >/dev/null
ninja -C "$build" xw-bench-xdp >/dev/null

status=0
"$build/bench/xw-bench-xdp" --netns "$ns" "$@" || status=$?
exit "$status"
