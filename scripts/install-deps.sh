#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Install what xdpwatch needs to build, test and demo on Debian 12, and
# make sure bpffs is mounted. Idempotent: installs only what is missing,
# runs apt-get update only when it has to install something.
set -euo pipefail

packages=(
	# build
	cmake ninja-build pkg-config gcc clang llvm
	libbpf-dev bpftool libelf-dev zlib1g-dev
	# attach_mode = "libxdp": libxdp's dispatcher, beside other XDP programs
	libxdp-dev
	librdkafka-dev libprotobuf-c-dev protobuf-c-compiler
	libconfig-dev libcmocka-dev libsodium-dev
	# sanitized and fuzz builds (scripts/test.sh): clang's runtimes for
	# ASan, UBSan and libFuzzer; valgrind for leak checks by hand
	libclang-rt-14-dev valgrind
	# lab and traffic
	iproute2 iputils-ping netcat-openbsd hping3 netsniff-ng tcpreplay
	python3 python3-scapy util-linux
	# scripts/demo.py draws its timeline (PNG, Agg backend: no display)
	python3-matplotlib
	# peers measured in bench/ (fastnetmon: bench/fastnetmon.py runs its
	# own instance in a lab namespace; the packaged service is disabled below)
	xdp-tools fastnetmon
	# Kafka broker for tests, demo, benchmarks (scripts/kafka.sh: Maven
	# fetches the jars; javac builds its small admin helper)
	openjdk-17-jdk-headless maven
	# kafka.sh start --secure makes its CA and broker certificate
	openssl
	# an independent consumer for tests/integration/test_kafka.py: not our
	# C code, and Python classes protoc generates from proto/
	python3-confluent-kafka python3-protobuf protobuf-compiler
	# tests/integration/test_verdicts.py signs what the CLI refuses to
	# (expired, tampered, 0.0.0.0/0) with Ed25519 in Python
	python3-nacl
	# tests/integration/test_metrics.py scrapes the collector with a real
	# Prometheus; promtool (same package) lints the exposition format
	prometheus
	# deploy: `docker-compose config -q` checks docker-compose.yml (no
	# Docker engine needed); systemd-analyze verifies deploy/systemd/
	docker-compose systemd
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (installs packages, mounts bpffs)" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The package enables a system-wide fastnetmon.service (API and Prometheus
# ports, capture on eth3/eth4); bench/fastnetmon.py starts its own, so keep
# the packaged one off where systemd runs.
if [ -d /run/systemd/system ] && systemctl is-enabled -q fastnetmon 2>/dev/null; then
	systemctl disable --now fastnetmon >/dev/null 2>&1 || true
fi

if ! mountpoint -q /sys/fs/bpf || [ "$(stat -f -c %T /sys/fs/bpf)" != "bpf_fs" ]; then
	mount -t bpf bpf /sys/fs/bpf
fi
