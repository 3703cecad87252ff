#!/usr/bin/env bash
# `make bench-push-ab`: BenchmarkPushLatency for two commits, runs
# alternated (base, new, base, new, …) so both see the same machine load.
#
# Usage: scripts/bench-push-ab.sh [BASE [NEW]]  (default: main and HEAD)
# Environment: AB_RUNS (3 pairs), AB_OUT (data/bench-push-ab), and the
# benchmark's own knobs (RANKSTREAM_BENCH_WS, _RATE, _SECONDS, _PROBES,
# _TRANSPORT, _TICK_MS, _CLIENT; see notifier/latency_bench_test.go and
# latency_probestages_test.go).
# Each run's output is in $AB_OUT/<label>-<n>.txt, with `uptime` before
# it; binaries already in $AB_OUT are reused; the last lines print p50/p99 per run and the medians per build.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-main}
NEW=${2:-HEAD}
RUNS=${AB_RUNS:-3}
OUT=${AB_OUT:-data/bench-push-ab}
mkdir -p "$OUT"
build() { # rev label
	local dir
	dir=$(mktemp -d)
	git archive "$1" | tar -x -C "$dir"
	(cd "$dir" && go test -c -o "$OLDPWD/$OUT/$2.test" ./notifier)
	rm -rf "$dir"
}
# A binary already in $OUT is reused (delete it after a new commit).
[ -x "$OUT/base.test" ] || build "$BASE" base
[ -x "$OUT/new.test" ] || build "$NEW" new
for i in $(seq 1 "$RUNS"); do
	for label in base new; do
		f="$OUT/$label-$i.txt"
		{ echo "# $label $(git rev-parse --short "$([ $label = base ] && echo "$BASE" || echo "$NEW")") $(date -u +%H:%M:%S) $(uptime)"
		  (cd notifier && "../$OUT/$label.test" -test.run '^$' -test.bench PushLatency -test.benchtime 1x -test.timeout 60m) 2>&1
		} > "$f" || true
		grep -h "^# \|BenchmarkPushLatency" "$f" | tr '\t' ' ' | sed 's/  */ /g'
	done
done
python3 - "$OUT" "$RUNS" <<'PY'
import re, sys, statistics
out, runs = sys.argv[1], int(sys.argv[2])
med = {}
for label in ("base", "new"):
    vals = {}
    for i in range(1, runs + 1):
        lines = [l for l in open(f"{out}/{label}-{i}.txt") if l.startswith("BenchmarkPushLatency")]
        for v, k in re.findall(r"(\d[\d.e+]*)\s+(\S+)", lines[-1] if lines else ""):
            vals.setdefault(k, []).append(float(v))
    keys = ["loadgen_acked_ev/s", "p50_ms", "p95_ms", "p99_ms", "crowd_p99_ms", "ack_to_nats_p50_ms", "ack_to_nats_p99_ms",
            "nats_to_client_p50_ms", "nats_to_client_p99_ms", "server_cores", "clients_cores", "probes_seen_ratio"]
    print(label, " ".join(f"{k}={statistics.median(vals[k]):.4g} {vals[k]}" for k in keys if k in vals))
    med[label] = {k: statistics.median(v) for k, v in vals.items()}
for k in ("p50_ms", "p99_ms", "ack_to_nats_p99_ms", "nats_to_client_p99_ms", "server_cores"):
    b, n = med["base"].get(k), med["new"].get(k)
    if b and n:
        print(f"ratio new/base {k}: {n / b:.2f}")
PY
