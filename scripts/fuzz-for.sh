#!/usr/bin/env bash
# fuzz-for.sh PKG TARGET SECONDS: fuzz one target for at least SECONDS of
# fuzzing, in rounds of a fixed count of inputs (FUZZ_ROUND, default 20000x).
# Rounds, not -fuzztime <duration>: go1.26's coordinator can report its own
# -fuzztime deadline as a failure ("context deadline exceeded", no input
# written; golang/go#75804), which a loaded machine hits now and then. A
# round that finds a failure stops here with its input left in
# PKG/testdata/fuzz/TARGET: fix it and keep the input as a case.
set -euo pipefail
pkg=$1 target=$2 seconds=$3
round=${FUZZ_ROUND:-20000x}
GO=${GO:-go}
start=$(date +%s%N)
rounds=0
while :; do
	$GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$round" "$pkg" >/tmp/fuzz-for.$$.out 2>&1 || {
		cat /tmp/fuzz-for.$$.out; rm -f /tmp/fuzz-for.$$.out; exit 1; }
	rounds=$((rounds + 1))
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$elapsed_ms" -ge $((seconds * 1000)) ]; then break; fi
done
rm -f /tmp/fuzz-for.$$.out
echo "fuzz $pkg $target: $rounds rounds of $round in $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s, no failure"
