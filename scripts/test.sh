#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The full test suite on a fresh Debian 12 machine, as root: installs what
# is missing, builds with warnings as errors, runs every ctest suite
# (unit, BPF through BPF_PROG_TEST_RUN, integration over namespaces), then
# the same unit, BPF and integration suites once more on a build with
# AddressSanitizer, LeakSanitizer and UBSan (build-asan), and each
# libFuzzer target for XW_FUZZ_SECONDS (default 20) on a clang build
# (build-fuzz). Arguments go to the first ctest run only.
#
#   XW_SANITIZE_RUN=0  skip the sanitized run
#   XW_FUZZ_RUN=0      skip the fuzzers
#
# What the two add, measured from scratch on the 2-vCPU test VM: build-asan
# 92 s to build and 225 s to test (integration 205 s of it), build-fuzz
# 17 s to build and 107 s to fuzz (5 targets); about 7.5 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XW_BUILD_DIR:-$root/build}
asan=${XW_ASAN_BUILD_DIR:-$root/build-asan}
fuzz=${XW_FUZZ_BUILD_DIR:-$root/build-fuzz}

"$root/scripts/install-deps.sh"
XW_BUILD_DIR=$build "$root/scripts/build.sh"
(cd "$build" && ctest --output-on-failure "$@")

# Sanitizer reports must fail the test that caused them: UBSan aborts
# (-fno-sanitize-recover=all at build time), ASan and LSan exit non-zero,
# and the integration tests see a collector's non-zero exit. Leaks inside
# system libraries we cannot fix are listed, with reasons, in lsan.supp.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0

if [ "${XW_SANITIZE_RUN:-1}" != 0 ]; then
	cmake -S "$root" -B "$asan" -G Ninja -DXW_WERROR=ON \
		-DXW_SANITIZE=address,undefined >/dev/null
	cmake --build "$asan"
	# The integration tests take their binaries from XW_BUILD_DIR, which
	# ctest sets to the tree it runs in: here, the sanitized one. Left
	# out: the demo, top and ACL suites, which run the same daemon paths
	# as the others (detector, verdicts, Kafka) for a view, a picture or
	# a broker's settings, and would add some ten minutes under ASan.
	(cd "$asan" && ctest --output-on-failure -R '^(unit|bpf|integration)_' \
		-E '^integration_(demo|top|acl)$')
fi

if [ "${XW_FUZZ_RUN:-1}" != 0 ]; then
	CC=clang cmake -S "$root" -B "$fuzz" -G Ninja -DXW_WERROR=ON \
		-DXW_FUZZ=ON >/dev/null
	cmake --build "$fuzz" --target fuzz
	(cd "$fuzz" && ctest --output-on-failure -L fuzz)
fi
