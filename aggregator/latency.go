package aggregator

import (
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// HeaderEventTime carries, on a SCORES message, the EVENTS stream timestamp
// (Unix nanoseconds) of the event that produced the standing, so that the
// ranker and the notifier can measure event → ranked → visible → pushed
// (rankstream_event_latency_seconds, docs/runbook.md). Absent on standings
// republished from a checkpoint.
const HeaderEventTime = "Rankstream-Event-Time"

// Latency stages of rankstream_event_latency_seconds.
const (
	LatencyScored  = "scored"  // event in EVENTS → its standing published to SCORES
	LatencyRanked  = "ranked"  // event in EVENTS → standing in the ranker's board
	LatencyVisible = "visible" // event in EVENTS → written to the read model (API)
)

// latencyBuckets resolve the SLOs: push p95 ≤ 120 ms, event → UI p95 ≤
// 250 ms, staleness alert at 300 ms, lag alert at 2 s.
var latencyBuckets = []float64{.005, .01, .025, .05, .075, .1, .12, .15, .2, .25, .3, .4, .5, .75, 1, 1.5, 2, 3, 5, 10, 30}

// scoreMsg builds the SCORES message of a standing, with the event time
// header when the standing comes from an event.
func scoreMsg(subj string, data []byte, eventTime time.Time) *nats.Msg {
	m := &nats.Msg{Subject: subj, Data: data}
	if !eventTime.IsZero() {
		m.Header = nats.Header{HeaderEventTime: []string{strconv.FormatInt(eventTime.UnixNano(), 10)}}
	}
	return m
}

// eventTime reads HeaderEventTime of a SCORES message (zero when absent).
func eventTime(msg jetstream.Msg) time.Time {
	h := msg.Headers()
	if h == nil {
		return time.Time{}
	}
	v := h.Get(HeaderEventTime)
	if v == "" {
		return time.Time{}
	}
	ns, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// lagSeconds is the age of the last processed message while messages wait
// (0 when none does): how far behind the stream a stage is, in time.
func lagSeconds(pending float64, last time.Time) float64 {
	if pending == 0 || last.IsZero() {
		return 0
	}
	return max(time.Since(last).Seconds(), 0)
}
