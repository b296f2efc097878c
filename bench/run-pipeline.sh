#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# run-pipeline.sh - build xw-bench-pipeline in its own build tree, start a
# Kafka broker of its own with scripts/kafka.sh, run the benchmark against
# it, stop the broker.
#
#   sudo bench/run-pipeline.sh [xw-bench-pipeline options]
#   sudo bench/run-pipeline.sh --runs 5 --duration 10
#   XW_BENCH_BUILD=/tmp/b bench/run-pipeline.sh --family v4 --mode busy
#
# The broker listens on 127.0.0.1:$XW_KAFKA_PORT (default 19292) and keeps
# its data in $XW_KAFKA_DATA (default /var/lib/xdpwatch/kafka-bench), away
# from the brokers of the tests and the demo; the data stay for the next
# run (scripts/kafka.sh reset wipes them). Its threads are moved to CPU 1,
# beside the benchmark's BPF_PROG_TEST_RUN thread, so that CPU 0 is left
# to the collector side (the drain thread and librdkafka's). The broker is
# stopped on the way out, whatever happened. See bench/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${XW_BENCH_BUILD:-$src/build-bench}
kafka=$src/scripts/kafka.sh
XW_KAFKA_PORT=${XW_KAFKA_PORT:-19292}
XW_KAFKA_DATA=${XW_KAFKA_DATA:-/var/lib/xdpwatch/kafka-bench}
export XW_KAFKA_PORT XW_KAFKA_DATA

if [ "$(id -u)" -ne 0 ]; then
	echo "run-pipeline.sh: needs root (BPF test runs, CPU pinning)" >&2
	exit 1
fi

cmake -S "$src" -B "$build" -G Ninja -DXW_WERROR=ON >/dev/null
ninja -C "$build" xw-bench-pipeline >/dev/null

stop_broker() {
	"$kafka" stop >/dev/null 2>&1 ||
		echo "run-pipeline.sh: could not stop the broker in $XW_KAFKA_DATA" >&2
}
trap stop_broker EXIT
trap 'exit 130' INT TERM HUP

echo "run-pipeline.sh: starting the broker (port $XW_KAFKA_PORT, data $XW_KAFKA_DATA)" >&2
bootstrap=$("$kafka" start)
if pid=$(cat "$XW_KAFKA_DATA/kafka.pid" 2>/dev/null) &&
	taskset -a -cp 1 "$pid" >/dev/null 2>&1; then
	echo "run-pipeline.sh: broker pid $pid moved to CPU 1" >&2
else
	echo "run-pipeline.sh: could not move the broker to CPU 1; it runs anywhere" >&2
fi

status=0
"$build/bench/xw-bench-pipeline" --broker "$bootstrap" ${pid:+--broker-pid "$pid"} \
	--log-dir "$XW_KAFKA_DATA/kraft" "$@" || status=$?
exit "$status"
