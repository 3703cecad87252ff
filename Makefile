# rankstream — see README.md.
GO      ?= go
BIN     := bin/rankstream
PKGS    := ./...
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build run test lint bench bench-rewards bench-board bench-pipeline bench-push bench-push-1k bench-push-10k bench-push-ab bench-snapshot services test-services fmt vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rankstream

services:
	./scripts/services.sh --postgres --clickhouse

test-services:
	./scripts/services.sh --postgres --chromium --promtool --clickhouse

# The whole pipeline with an embedded NATS server, sample contests and
# synthetic traffic; prints where to look. Ctrl-C stops it.
run: build services
	./scripts/run.sh

# Everything CI checks: formatting, vet, and every test with the race detector.
# The tests need Postgres and, for the live page's browser test, Chromium.
test: test-services lint fuzz-short
	$(GO) test -race -count=1 -timeout 25m $(PKGS)

# Bounded fuzzing of event parsing, formula evaluation and contest YAML (make
# test runs it): each target for at least FUZZSECONDS of fuzzing, in rounds of
# FUZZ_ROUND inputs (scripts/fuzz-for.sh says why rounds and not -fuzztime
# <duration>); the seed corpora are in <pkg>/testdata/fuzz. A failure leaves
# the input there: fix it and keep it.
FUZZSECONDS ?= 20
.PHONY: fuzz-short
fuzz-short:
	GO=$(GO) scripts/fuzz-for.sh ./event/ FuzzParse $(FUZZSECONDS)
	GO=$(GO) scripts/fuzz-for.sh ./event/ FuzzParseTS $(FUZZSECONDS)
	GO=$(GO) scripts/fuzz-for.sh ./contest/ FuzzFormula $(FUZZSECONDS)
	GO=$(GO) scripts/fuzz-for.sh ./contest/ FuzzParseContest $(FUZZSECONDS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -count=1 ./internal/lint/ # sizes, layers (docs/architecture.md)

fmt:
	gofmt -w $$(git ls-files '*.go')

# Benchmarks (long; not part of make test). Figures go to BENCHMARKS.md.
bench: services bench-board bench-pipeline bench-snapshot bench-push bench-recovery bench-missions bench-rewards bench-etl

# Payouts of a 1M-entry final board (compute + rewards + ledger + outbox)
# vs a plain COPY of as many rows (env RANKSTREAM_BENCH_ROWS).
bench-rewards:
	$(GO) test ./rewards -run '^$$' -bench Payouts1M -benchtime 1x -timeout 60m

# Board structure vs Redis sorted set at 1M and 10M entries (about 8 minutes).
bench-board:
	RANKSTREAM_BENCH_10M=1 $(GO) test ./board -run '^$$' -bench . -benchtime 2s -count 3 -timeout 90m

# Pipeline events/s through each door vs raw JetStream publish, and API
# staleness (env RANKSTREAM_BENCH_EVENTS, RANKSTREAM_BENCH_RATE, RANKSTREAM_BENCH_PROBES).
bench-pipeline:
	$(GO) test ./bench -run '^$$' -bench . -benchtime 1x -timeout 60m

# Snapshots (1M-entry write vs plain COPY, board copy out of the ranker) and
# replay (vs a plain ordered-consumer read).
bench-snapshot:
	$(GO) test ./snapshotter -run '^$$' -bench Snapshot1M -benchtime 1x -timeout 30m
	$(GO) test ./aggregator -run '^$$' -bench BoardCopy1M -benchtime 1x -timeout 30m
	$(GO) test ./replay -run '^$$' -bench ReplayVsRead -benchtime 1x -timeout 30m

# Live push: event acked -> WebSocket push latency with 10k subscribers under
# 10k events/s of loadgen traffic (env RANKSTREAM_BENCH_WS, _RATE, _SECONDS,
# _PROBES, _TRANSPORT, _TICK_MS, _CLIENT=raw|lib). Besides p50/p99 it prints
# the top probes' split at the notifier's NATS publish (ack_to_nats_*,
# nats_to_client_*) and the app's stage histograms (stage_scored/ranked/visible).
# The two rows of issue 14, one command each:
#   make bench-push-1k    1k WebSocket subscribers, 1k ev/s  (target p99 <= 100 ms)
#   make bench-push-10k   10k WebSocket subscribers, 10k ev/s (target p99 <= 250 ms)
bench-push:
	$(GO) test ./notifier -run '^$$' -bench PushLatency -benchtime 1x -timeout 60m

bench-push-1k:
	RANKSTREAM_BENCH_WS=1000 RANKSTREAM_BENCH_RATE=1000 $(GO) test ./notifier -run '^$$' -bench PushLatency -benchtime 1x -timeout 60m

bench-push-10k:
	RANKSTREAM_BENCH_WS=10000 RANKSTREAM_BENCH_RATE=10000 $(GO) test ./notifier -run '^$$' -bench PushLatency -benchtime 1x -timeout 60m

# The same for two commits, runs alternated: make bench-push-ab BASE=main NEW=HEAD
bench-push-ab:
	scripts/bench-push-ab.sh $(or $(BASE),main) $(or $(NEW),HEAD)

clean:
	rm -rf bin data artifacts

# Kill test with a longer load and more SIGKILLs (make test runs a short one).
.PHONY: soak-kill
soak-kill: services
	RANKSTREAM_SOAK_KILL=60 $(GO) test -race -count=1 -timeout 30m -run 'TestScorerSurvivesSIGKILL' -v ./aggregator/

# Three clustered nats-servers in-process, R3 streams, one node stopped
# mid-load (once in make test; ten times here); then the process-level
# version: two `rankstream run` processes with nats.replicas: 3 from their
# config files (docs/security.md).
.PHONY: test-cluster
test-cluster:
	$(GO) test -race -count=10 -run 'TestClusterR3NodeLoss' -v ./aggregator/
	RANKSTREAM_TEST_CLUSTER=1 $(GO) test -count=1 -timeout 15m -run 'TestClusterProcessesR3NodeLoss' -v ./cmd/rankstream/

# Crash-recovery figures for BENCHMARKS.md ("Crash recovery").
.PHONY: bench-recovery
bench-recovery:
	$(GO) test ./aggregator -run '^$$' -bench CrashRecovery -benchtime 1x -timeout 60m

# Constant memory (issue 10): >= 30 min of steady traffic on a long window
# and recurring 1-minute windows; samples heap, checkpoint bytes, Redis keys
# and /metrics series every minute and prints slope per hour and peak (env
# SOAK_MINUTES, SOAK_RATE, SOAK_USERS, SOAK_DELAY, SOAK_RETENTION).
.PHONY: soak-state bench-state
soak-state: services
	./scripts/soak-state.sh

# Scorer heap and checkpoint bytes per active user (env RANKSTREAM_BENCH_USERS, default 1M).
bench-state:
	$(GO) test ./aggregator -run '^$$' -bench ScorerStatePerUser -benchtime 1x -timeout 120m

# Heap and checkpoint bytes per (user, board) of a sum and a max board, 1M users.
.PHONY: bench-state-board bench-restart
bench-state-board:
	$(GO) test ./aggregator -run '^$$' -bench ScorerStatePerBoard -benchtime 1x -timeout 120m

# Restart after 30 vs 3 minutes of soak traffic at 5k ev/s, made in stream
# time (env RANKSTREAM_BENCH_RATE, RANKSTREAM_BENCH_RESTART_MINUTES).
bench-restart:
	$(GO) test ./aggregator -run '^$$' -bench RestartAfterTraffic -benchtime 1x -timeout 120m

# Scorer with three missions vs none (BENCHMARKS.md "Missions").
.PHONY: bench-missions
bench-missions:
	$(GO) test ./aggregator -run '^$$' -bench ScorerMissions -benchtime 1x -timeout 60m

# ClickHouse ETL: rows/s loaded vs a plain clickhouse-go batch insert of the
# same rows, lag p99 at 10k events/s, the engine with accrual detail on vs off
# (env RANKSTREAM_BENCH_ETL_EVENTS, _RATE, _SECONDS).
.PHONY: bench-etl
bench-etl: services
	$(GO) test ./etl -run '^$$' -bench . -benchtime 1x -timeout 30m
