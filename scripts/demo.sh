#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The main job end to end on a fresh Debian 12 machine, as root: installs
# what is missing, builds, then runs scripts/demo.py in a lab of network
# namespaces and prints a summary. Removes everything it created.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
XW_BUILD_DIR=${XW_BUILD_DIR:-$root/build} exec python3 "$root/scripts/demo.py" "$@"
