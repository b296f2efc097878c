#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# clean_stop.sh SECONDS PROGRAM [ARGS...] - start a daemon, stop it with
# SIGINT after SECONDS, and pass only if it exits 0 without a sanitizer
# report. On a build-asan tree this is what finds use-after-free and
# leaks on the shutdown path, which no other unit test runs.
secs=$1
shift
log=$(mktemp)
"$@" >"$log" 2>&1 &
pid=$!
sleep "$secs"
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -ne 0 ] || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
	cat "$log"
	echo "clean_stop: $1 exited $rc after SIGINT" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
