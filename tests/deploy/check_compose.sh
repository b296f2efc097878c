#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Check docker-compose.yml without a Docker engine: `docker-compose config
# -q` accepts it with XW_INTERFACE set and refuses it, naming the
# variable, without; the rendered file has what the deployment relies on.
# Exit 77 (skip) when docker-compose is not installed.
set -eu
root=$1
command -v docker-compose >/dev/null 2>&1 || {
	echo "SKIP: docker-compose is not installed (scripts/install-deps.sh installs it)"
	exit 77
}
cd "$root"
fail() { echo "check_compose: $*" >&2; exit 1; }

XW_INTERFACE=eth0 docker-compose -f docker-compose.yml config -q ||
	fail "docker-compose config refused docker-compose.yml"
if out=$(env -u XW_INTERFACE docker-compose -f docker-compose.yml config -q 2>&1); then
	fail "accepted without XW_INTERFACE"
fi
echo "$out" | grep -q XW_INTERFACE || fail "no word of XW_INTERFACE when it is missing: $out"

cfg=$(XW_INTERFACE=eth0 docker-compose -f docker-compose.yml config)
# The topics as scripts/kafka.sh makes them (the rendered file folds the
# one-shot script's lines: look in the source).
for want in "xdpwatch.features.v1 --partitions 6" \
	"xdpwatch.verdicts.v1 --partitions 1 --config cleanup.policy=compact" \
	"xdpwatch.alerts.v1 --partitions 3" "xdpwatch.rulestats.v1 --partitions 3"; do
	grep -qF -- "topic $want" docker-compose.yml || fail "no topic '$want'"
done
for want in "image: apache/kafka:" "KAFKA_PROCESS_ROLES: broker,controller" \
	"- xdpwatch-detector" "- /etc/xdpwatch/detector.cfg" \
	"- xdpwatch-collector" "- eth0" "network_mode: host" "privileged: true" \
	"target: /sys/fs/bpf" "condition: service_completed_successfully"; do
	echo "$cfg" | grep -qF -- "$want" || fail "rendered config lacks '$want'"
done
echo "docker-compose.yml OK"
