#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Configure and build into build/ (or $XW_BUILD_DIR), warnings as errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XW_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DXW_WERROR=ON >/dev/null
cmake --build "$build"
