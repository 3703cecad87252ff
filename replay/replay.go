// Package replay recomputes standings from the EVENTS stream with the same
// Engine the live scorer uses: it reads the stream in stream order (one pull
// consumer over every partition, pull.go; with PerPartition the scorer's
// own reader, aggregator.Lane, once per partition), applies each message,
// and orders each board exactly as the ranker does (contest sort keys, then
// user id). It publishes nothing and writes nothing.
package replay

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// Options of one replay.
type Options struct {
	JS    jetstream.JetStream
	Rules *contest.Registry // the contests (and freezes) to apply
	// Contest, when set, keeps only that contest's boards; Window (a window
	// start in Unix seconds) with HasWindow keeps one window.
	Contest   string
	Window    int64
	HasWindow bool
	// UpTo is the last EVENTS sequence applied (0: the stream's last at start).
	UpTo uint64
	// Keep, when set, drops the events it returns false for before they reach
	// the engine (simulate's ts range). Called from one goroutine.
	Keep func(se *aggregator.StoredEvent) bool
	// Workers applying events; a partition always maps to one (default GOMAXPROCS).
	Workers       int
	MaxFutureSkew time.Duration
	// Progress, when set, is called now and then with the last sequence read
	// and the range [first, last] being replayed.
	Progress func(seq, first, last uint64)
	// PerPartition reads with one lane (ordered consumer) per partition
	// instead of one over the whole stream; Keep and Progress are then
	// called from several goroutines (one at a time).
	PerPartition bool
	// laneRead reads the whole stream through aggregator.Lane (the reader
	// before pullRead; the tests compare the two).
	laneRead bool
}

// Result is what a replay computed.
type Result struct {
	Boards    map[contest.BoardID][]aggregator.Row
	FirstSeq  uint64 // first sequence in the stream
	LastSeq   uint64 // last sequence applied (0: the stream was empty)
	Events    uint64 // messages read
	Elapsed   time.Duration
	Truncated bool // the stream no longer starts at sequence 1: early events are gone
	// FirstTime is when the stream's first message was stored.
	FirstTime time.Time
	// Missions is the progress of every mission in Rules (missions.go).
	Missions []MissionProgress
}

const batchSize = 256

// Run replays the stream up to opts.UpTo.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.JS == nil || opts.Rules == nil {
		return nil, errors.New("replay: needs JS and Rules")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	t0 := time.Now()
	st, err := opts.JS.Stream(ctx, streams.Events)
	if err != nil {
		return nil, fmt.Errorf("replay: events stream: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("replay: stream info: %w", err)
	}
	last := info.State.LastSeq
	if last > 0 { // the last message held: LastSeq's may be deleted
		if last, err = streams.LastEventSeq(ctx, st); err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
	}
	if opts.UpTo > 0 && opts.UpTo < last {
		last = opts.UpTo
	}
	res := &Result{FirstSeq: info.State.FirstSeq, Truncated: info.State.FirstSeq > 1, FirstTime: info.State.FirstTime}
	engines := make([]*aggregator.Engine, opts.Workers)
	for i := range engines {
		engines[i] = aggregator.NewEngine(opts.Rules, opts.MaxFutureSkew)
		engines[i].StateOnly(true) // only the state is read (collect): no per-event outputs
		if n := expectPerPartition(info, last); n > 0 {
			engines[i].ExpectEvents(n, info.State.LastTime.Sub(info.State.FirstTime))
		}
	}
	if last > 0 && info.State.Msgs > 0 && last >= info.State.FirstSeq {
		if err := read(ctx, opts, engines, info, last, res); err != nil {
			return nil, err
		}
	}
	res.Boards = collect(opts, engines)
	res.Missions = collectMissions(opts, engines)
	res.Elapsed = time.Since(t0)
	return res, nil
}

// expectPerPartition is about how many events of the stream up to last each
// partition holds (0: unknown).
func expectPerPartition(info *jetstream.StreamInfo, last uint64) int {
	parts, err := strconv.Atoi(info.Config.Metadata["rankstream_partitions"])
	if err != nil || parts <= 0 || last < info.State.FirstSeq {
		return 0
	}
	return int(min(info.State.Msgs, last-info.State.FirstSeq+1) / uint64(parts))
}
