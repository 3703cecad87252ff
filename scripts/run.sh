#!/usr/bin/env bash
# `make run`: the whole pipeline with an embedded NATS server, the sample
# contests and synthetic traffic. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-configs/dev.yml}
RATE=${RATE:-200}
BIN=bin/rankstream
mkdir -p data
addr=$(grep -E '^http:' "$CONFIG" | sed -E 's/.*addr: *"?([^",}]*)"?.*/\1/')
addr=${RANKSTREAM_HTTP_ADDR:-$addr}
port=$(grep -E '^nats:' "$CONFIG" | sed -E 's/.*port: *([0-9]+).*/\1/')

"$BIN" run --config "$CONFIG" > data/rankstream.log 2>&1 &
run_pid=$!
trap 'kill $run_pid ${lg_pid:-} 2>/dev/null; wait 2>/dev/null; echo; echo "stopped"' EXIT INT TERM

echo "waiting for rankstream to be ready on http://$addr/readyz …"
for _ in $(seq 1 300); do
  if curl -fs "http://$addr/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 $run_pid 2>/dev/null; then echo "rankstream exited:"; tail -20 data/rankstream.log; exit 1; fi
  sleep 0.2
done

"$BIN" loadgen --config "$CONFIG" --nats "nats://127.0.0.1:$port" --rate "$RATE" --duration 0 \
  --providers acme,PragmaticPlay,Hacksaw --users 2000 > data/loadgen.log 2>&1 &
lg_pid=$!

cat <<MSG

rankstream is running (log: data/rankstream.log, traffic: data/loadgen.log, $RATE events/s)
  live page:     http://$addr/
  contests:      http://$addr/v1/contests
  leaderboard:   http://$addr/v1/leaderboards/<contest id>?top=10&me=u_1&around=2
  metrics:       http://$addr/metrics
  NATS:          nats://127.0.0.1:$port  (subjects events.<provider>.<user_id>)
Ctrl-C stops.
MSG
wait $run_pid
