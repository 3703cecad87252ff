package aggregator

import (
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// HeaderEventTime carried, on a SCORES message written before the event
// time moved into the payload (ScoreMsg.EventTime), the EVENTS stream
// timestamp (Unix nanoseconds) of the event that produced the standing, so
// that the ranker and the notifier can measure event → ranked → visible →
// pushed (rankstream_event_latency_seconds, docs/runbook.md). The ranker
// still reads it on such messages.
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

// eventTime is sm's event time, read from the message's HeaderEventTime h
// when sm came in a version-1 payload of size n (zero when absent).
func eventTime(sm *ScoreMsg, n int, h nats.Header) time.Time {
	if !sm.EventTime.IsZero() || n != scoreMsgLenV1 {
		return sm.EventTime
	}
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
