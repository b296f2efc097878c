#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The main job end to end on a fresh Debian 12 machine, as root: installs
# what is missing, builds, starts a local Kafka broker (scripts/kafka.sh),
# then runs scripts/demo.py in a lab of network namespaces and prints a
# summary. Removes everything it created, and stops the broker if it
# started it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

if ! "$root/scripts/kafka.sh" status >/dev/null 2>&1; then

	trap '"$root/scripts/kafka.sh" stop >/dev/null' EXIT
fi
"$root/scripts/kafka.sh" start
XW_KAFKA_BOOTSTRAP=$("$root/scripts/kafka.sh" bootstrap) \
XW_BUILD_DIR=${XW_BUILD_DIR:-$root/build} /usr/bin/python3 "$root/scripts/demo.py" "$@"
