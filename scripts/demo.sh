#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The main job end to end on a fresh Debian 12 machine, as root: installs
# what is missing, builds, then runs scripts/demo.py: a local Kafka broker
# (scripts/kafka.sh's, started unless one runs), a lab of namespaces with
# a victim, a legitimate client and an attacker, the victim's collector and
# a detector, legitimate traffic, then a SYN flood and a DNS reflection;
# it prints a summary and writes a timeline PNG (./xdpwatch-demo.png, or
# --png PATH). Removes everything it created, and stops the broker if it
# started it. Arguments go to demo.py (--help, --quick, --png PATH).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
XW_BUILD_DIR=${XW_BUILD_DIR:-$root/build} exec /usr/bin/python3 "$root/scripts/demo.py" "$@"
