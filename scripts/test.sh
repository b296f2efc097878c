#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The full test suite on a fresh Debian 12 machine, as root: installs what
# is missing, builds with warnings as errors, runs every ctest suite
# (unit, BPF through BPF_PROG_TEST_RUN, integration over namespaces).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "${XW_BUILD_DIR:-$root/build}"
ctest --output-on-failure "$@"
