package bench

import (
	"hash/fnv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// BenchmarkEngineApply is the scorer's per-event CPU cost without NATS: the
// pipeline's events (loadgen, 20k Zipf users) and bench contest, applied in
// stream order by one Engine on one goroutine (ns/op = ns per event). The
// per-core scorer figure of docs/scale.md.
func BenchmarkEngineApply(b *testing.B) {
	msgs := genMsgs(100000)
	evs := make([]aggregator.StoredEvent, len(msgs))
	now := time.Now()
	for i, m := range msgs {
		rest := strings.TrimPrefix(m.subj, "events.")
		h := fnv.New32a()
		h.Write([]byte(rest))
		evs[i] = aggregator.StoredEvent{Subject: "events." + strconv.Itoa(int(h.Sum32()%64)) + "." + rest,
			Data: m.body, Seq: uint64(i + 1), Time: now}
	}
	rules := contest.NewRegistry(benchContests(b))
	b.ReportAllocs()
	b.ResetTimer()
	var eng *aggregator.Engine
	for i := 0; i < b.N; i++ {
		if i%len(evs) == 0 { // a fresh engine per pass: every event is new
			eng = aggregator.NewEngine(rules, 0)
		}
		d := eng.Apply(evs[i%len(evs)])
		if d.Invalid != nil {
			b.Fatal(d.Invalid)
		}
	}
}
