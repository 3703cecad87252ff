#!/usr/bin/env bash
# `make soak-state`: constant memory under steady traffic (issue 10).
#
# Runs `rankstream run --only ingest,aggregator` (embedded NATS, Redis read
# model) with one long window and recurring 1-minute windows, contests and
# missions (their progress goes to the MISSION_PROGRESS bucket), all with a
# short max_event_delay, and retention.finished_windows short too, under a
# steady loadgen rate. Every minute it samples the heap in use, the scorers'
# checkpoint bytes, the Redis keys of the run and the number of /metrics
# series (plus the GC's next target, about twice the live heap, and the
# scorers' held candidates) into $OUT/samples.csv, then prints the slope per hour (after the
# horizon: max_event_delay + retention + a window) and the peak of each.
#
# Environment: SOAK_MINUTES (30), SOAK_RATE (1500 ev/s), SOAK_USERS (20000),
# SOAK_DELAY (2m, max_event_delay), SOAK_RETENTION (3m), SOAK_HORIZON_MIN (8).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${SOAK_MINUTES:-30}
RATE=${SOAK_RATE:-1500}
USERS=${SOAK_USERS:-20000}
DELAY=${SOAK_DELAY:-2m}
RETENTION=${SOAK_RETENTION:-3m}
HORIZON=${SOAK_HORIZON_MIN:-8}
BIN=bin/rankstream
OUT=${SOAK_OUT:-data/soak-state}
rm -rf "$OUT"
mkdir -p "$OUT/contests"
go build -o "$BIN" ./cmd/rankstream

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prefix="soak:$$:"
db=${SOAK_REDIS_DB:-9}
start=$(date -u -d '-1 hour' +%Y-%m-%dT%H:00:00Z)
end=$(date -u -d '+5 years' +%Y-%m-%dT00:00:00Z)
cat > "$OUT/contests/long.yml" <<EOF
id: soak_long
title: Soak long window
window: {start: $start, end: $end}
max_event_delay: $DELAY
scoring: {formula: "min(multiplier, 50) * 100", cap_per_user_per_day: 100000}
leaderboard: {type: best_n, n: 20, tiebreakers: [highest_single_multiplier, fewest_rounds, earliest_finish]}
anti_abuse: {max_events_per_user_per_sec: 2}
EOF
cat > "$OUT/contests/minute.yml" <<EOF
id: soak_minute
title: Soak every minute
schedule: {cron: "* * * * *", duration: 1m}
lateness: 10s
max_event_delay: $DELAY
scoring: {model: wager}
leaderboard: {type: sum, divisions: market}
EOF
mkdir -p "$OUT/missions"
cat > "$OUT/missions/long.yml" <<EOF
id: soak_mission
title: Soak mission, long window
window: {start: $start, end: $end}
max_event_delay: $DELAY
anti_abuse: {max_events_per_user_per_sec: 2}
steps:
  - {id: spins, goal: {type: spin_count, count: 50}, reward: {kind: points, amount: 10}}
  - {id: games, goal: {type: distinct_games, count: 5}}
  - {id: wager, goal: {type: wager_total, amount_minor: 100000000}}
  - {id: big, goal: {type: win_multiplier, min: 100000}}
EOF
cat > "$OUT/missions/minute.yml" <<EOF
id: soak_mission_minute
title: Soak mission every minute
schedule: {cron: "* * * * *", duration: 1m}
lateness: 10s
max_event_delay: $DELAY
steps:
  - {id: spins, goal: {type: spin_count, count: 5}}
  - {id: games, goal: {type: distinct_games, count: 3}}
EOF
cat > "$OUT/config.yml" <<EOF
http: {addr: "127.0.0.1:$port"}
nats: {url: "", port: $nport, store_dir: $OUT/nats}
redis: {url: "redis://127.0.0.1:6379/$db", prefix: "$prefix"}
contests_dir: $OUT/contests
missions_dir: $OUT/missions
providers: {acme: soak-secret}
retention: {events: 720h, finished_windows: $RETENTION}
EOF

"$BIN" run --config "$OUT/config.yml" --only ingest,aggregator > "$OUT/rankstream.log" 2>&1 &
run_pid=$!
cleanup() {
  kill "${lg_pid:-}" 2>/dev/null || true
  kill "$run_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  redis-cli -n "$db" --scan --pattern "$prefix*" | xargs -r redis-cli -n "$db" del >/dev/null || true
}
trap cleanup EXIT INT TERM
for _ in $(seq 1 300); do
  if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 $run_pid 2>/dev/null; then echo "rankstream exited:"; tail -20 "$OUT/rankstream.log"; exit 1; fi
  sleep 0.2
done

"$BIN" loadgen --config "$OUT/config.yml" --nats "nats://127.0.0.1:$nport" --rate "$RATE" \
  --duration "$((MINUTES + 1))m" --users "$USERS" --providers acme > "$OUT/loadgen.log" 2>&1 &
lg_pid=$!
echo "soak-state: $MINUTES min at $RATE ev/s, $USERS users, max_event_delay $DELAY, retention $RETENTION; samples in $OUT/samples.csv"

metric() { # name → the sum of its samples in the scrape
  awk -v n="$1" '$1 == n || index($1, n"{") == 1 { s += $NF } END { printf "%.0f", s }' "$OUT/scrape"
}
echo "minute,heap_inuse_bytes,checkpoint_bytes,redis_keys,metric_series,events_in,next_gc_bytes,candidates" > "$OUT/samples.csv"
for m in $(seq 1 "$MINUTES"); do
  sleep 60
  curl -fs "http://127.0.0.1:$port/metrics" > "$OUT/scrape" || { echo "no /metrics at minute $m"; exit 1; }
  keys=$(redis-cli -n "$db" --scan --pattern "$prefix*" | wc -l)
  series=$(grep -vc '^#' "$OUT/scrape")
  cands=$(awk '$1 == "rankstream_scorer_state{kind=\"candidates\"}" { printf "%.0f", $2 }' "$OUT/scrape")
  line="$m,$(metric go_memstats_heap_inuse_bytes),$(metric rankstream_scorer_checkpoint_state_bytes),$keys,$series,$(metric rankstream_events_in_total),$(metric go_memstats_next_gc_bytes),$cands"
  echo "$line" >> "$OUT/samples.csv"
  echo "  $line"
done

python3 - "$OUT/samples.csv" "$HORIZON" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
h = int(sys.argv[2])
after = [r for r in rows if int(r["minute"]) >= h]
print(f"\nafter minute {h} ({len(after)} samples): slope per hour as % of the mean, and peak")
for col in ["heap_inuse_bytes", "next_gc_bytes", "checkpoint_bytes", "candidates", "redis_keys", "metric_series"]:
    xs = [int(r["minute"]) / 60 for r in after]
    ys = [float(r[col]) for r in after]
    if len(xs) < 2:
        print(f"  {col}: too few samples"); continue
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0
    pct = 100 * slope / my if my else 0
    print(f"  {col:18s} slope {slope:14.0f}/h ({pct:+6.1f} %/h)  peak {max(float(r[col]) for r in rows):14.0f}  mean after {my:14.0f}")
EOF
