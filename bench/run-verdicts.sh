#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# run-verdicts.sh - build xw-bench-verdicts and xdpwatch-collector in their
# own build tree, start a Kafka broker of their own, make two fresh
# compacted topics, a signing key and a veth in a scratch namespace, run
# the benchmark (which starts and stops the real collector on that veth),
# then take all of it down again.
#
#   sudo bench/run-verdicts.sh [xw-bench-verdicts options]
#   sudo bench/run-verdicts.sh --runs 5
#   sudo bench/run-verdicts.sh --replay '' --live-count 0   # latency only
#   XW_BENCH_BUILD=/tmp/b bench/run-verdicts.sh
#
# The broker listens on 127.0.0.1:$XW_KAFKA_PORT (default 19492, its
# controller on XW_KAFKA_CONTROLLER_PORT, default the port + 1) and keeps
# its data in $XW_KAFKA_DATA (default /var/lib/xdpwatch/kafka-vb), away from
# the brokers of the tests, the demo and the other benchmarks. The topics
# this script made are deleted and the broker stopped on the way out; the
# data directory stays (scripts/kafka.sh reset wipes it). The collector's
# logs are copied to $build/bench-verdicts-logs/. See bench/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${XW_BENCH_BUILD:-$src/build-bench}
kafka=$src/scripts/kafka.sh
XW_KAFKA_PORT=${XW_KAFKA_PORT:-19492}
XW_KAFKA_CONTROLLER_PORT=${XW_KAFKA_CONTROLLER_PORT:-$((XW_KAFKA_PORT + 1))}
XW_KAFKA_DATA=${XW_KAFKA_DATA:-/var/lib/xdpwatch/kafka-vb}
export XW_KAFKA_PORT XW_KAFKA_CONTROLLER_PORT XW_KAFKA_DATA

tag=xwvb-$$
ns=$tag
topic=$tag-online
replay_topic=$tag-replay
pin_root=/sys/fs/bpf/$tag
logs=$build/bench-verdicts-logs
tmp=""
bootstrap=""
made_topics=""

if [ "$(id -u)" -ne 0 ]; then
	echo "run-verdicts.sh: needs root (XDP attach, netns, pinned maps)" >&2
	exit 1
fi

say() { echo "run-verdicts.sh: $*" >&2; }

cleanup() {
	status=$?
	set +e
	if [ -n "$tmp" ] && [ -d "$tmp/work" ]; then
		rm -rf "$logs"
		mkdir -p "$logs"
		cp "$tmp"/work/*.log "$tmp"/work/*.csv "$logs"/ 2>/dev/null
	fi
	for t in $made_topics; do
		"$kafka" tool topics --bootstrap-server "$bootstrap" --delete \
			--topic "$t" >/dev/null 2>&1 ||
			say "could not delete topic $t"
	done
	"$kafka" stop >/dev/null 2>&1 ||
		say "could not stop the broker in $XW_KAFKA_DATA"
	if [ -e "/run/netns/$ns" ]; then
		ip netns del "$ns" 2>/dev/null || say "could not delete netns $ns"
	fi
	# The benchmark removes its pins; this is for a benchmark killed outright.
	if [ -d "$pin_root" ]; then
		rm -rf "$pin_root" || say "could not remove $pin_root"
	fi
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cmake -S "$src" -B "$build" -G Ninja -DXW_WERROR=ON >/dev/null
ninja -C "$build" xw-bench-verdicts xdpwatch-collector >/dev/null

tmp=$(mktemp -d /tmp/xw-bench-verdicts.XXXXXX)
mkdir -m 0700 "$tmp/keys" "$tmp/work"

say "starting the broker (port $XW_KAFKA_PORT, data $XW_KAFKA_DATA)"
bootstrap=$("$kafka" start)
for t in "$topic" "$replay_topic"; do
	"$kafka" tool topics --bootstrap-server "$bootstrap" --create --topic "$t" \
		--partitions 1 --config cleanup.policy=compact >/dev/null
	made_topics="$made_topics $t"
done
say "topics $topic and $replay_topic (1 partition, compacted)"

ip netns add "$ns"
ip -n "$ns" link add xwvb0 type veth peer name xwvb1
ip -n "$ns" link set xwvb0 up
ip -n "$ns" link set xwvb1 up
say "veth xwvb0/xwvb1 in netns $ns"

status=0
"$build/bench/xw-bench-verdicts" --broker "$bootstrap" --topic "$topic" \
	--replay-topic "$replay_topic" --key-dir "$tmp/keys" \
	--collector "$build/collector/xdpwatch-collector" --netns "$ns" \
	--ifname xwvb0 --pin-root "$pin_root" --work-dir "$tmp/work" "$@" ||
	status=$?
exit "$status"
