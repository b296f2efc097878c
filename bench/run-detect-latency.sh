#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# run-detect-latency.sh - build the collector, the detector and the CLI in
# their own build tree and run bench/detect_latency.py on them: floods in
# the attack lab, xdpwatch end to end through a broker of its own, beside
# FastNetMon on a mirror of the victim's link.
#
#   sudo bench/run-detect-latency.sh [detect_latency.py options]
#   sudo bench/run-detect-latency.sh --runs 10              # 1:1, SYN and UDP
#   sudo bench/run-detect-latency.sh --sample 100 --runs 5
#   XW_BENCH_BUILD=/tmp/b bench/run-detect-latency.sh --kinds syn
#
# The broker listens on 127.0.0.1:$XW_KAFKA_PORT (default 19592) with its
# data in $XW_KAFKA_DATA (default /var/lib/xdpwatch/kafka-lat), away from
# the brokers of the tests, the demo and the other benchmarks; the Python
# starts it if it is not running and then stops it again, and deletes the
# topics it made. Namespaces, processes and pins go with the lab, also on
# Ctrl-C. See bench/README.md for the table.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${XW_BENCH_BUILD:-$src/build-bench}
XW_KAFKA_PORT=${XW_KAFKA_PORT:-19592}
XW_KAFKA_DATA=${XW_KAFKA_DATA:-/var/lib/xdpwatch/kafka-lat}
XW_BUILD_DIR=$build
export XW_KAFKA_PORT XW_KAFKA_DATA XW_BUILD_DIR

if [ "$(id -u)" -ne 0 ]; then
	echo "run-detect-latency.sh: needs root (namespaces, XDP, FastNetMon's AF_PACKET)" >&2
	exit 1
fi

cmake -S "$src" -B "$build" -G Ninja -DXW_WERROR=ON >/dev/null
ninja -C "$build" xdpwatch-collector xdpwatch-detector xdpwatch >/dev/null

exec /usr/bin/python3 "$here/detect_latency.py" "$@"
