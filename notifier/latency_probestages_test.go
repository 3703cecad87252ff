package notifier_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/streams"
)

// The top probes' latency split at the notifier's NATS publish: the
// benchmark process subscribes (in process, over the app's own connection)
// to each top probe's subject and stamps when the rank message with a new
// score is on NATS. acked → on NATS is scorer, SCORES, ranker tick, RANKS
// feed and the notifier; on NATS → read by the client is the gateway (NATS
// delivery, routing, the connection's queue and write) and the client
// process's read. The stages of all events before that are the app's own
// histograms (latency_stages_test.go).

// benchClient is RANKSTREAM_BENCH_CLIENT: "raw" (default: epoll loops,
// latency_rawclient_test.go) or "lib" (a coder/websocket Conn and a
// goroutine per subscriber).
func benchClient() string {
	if os.Getenv("RANKSTREAM_BENCH_CLIENT") == "lib" {
		return "lib"
	}
	return "raw"
}

// watchPublished stamps p.pubAt for each rank message of a top probe on
// NATS; the returned func unsubscribes.
func watchPublished(b *testing.B, nc *nats.Conn, probes []*probe) func() {
	var subs []*nats.Subscription
	for _, p := range probes {
		if p.step != 1 {
			continue
		}
		sub, err := nc.Subscribe(streams.LiveUserSubject(benchContest, p.user), func(m *nats.Msg) {
			now := time.Now()
			var r struct {
				Type  string
				Score int64
			}
			if json.Unmarshal(m.Data, &r) != nil || r.Type != "rank" {
				return
			}
			p.mu.Lock()
			if _, ok := p.pubAt[r.Score]; !ok {
				p.pubAt[r.Score] = now
			}
			p.mu.Unlock()
		})
		if err != nil {
			b.Fatalf("probe subscription: %v", err)
		}
		_ = sub.SetPendingLimits(-1, -1)
		subs = append(subs, sub)
	}
	return func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}
}

// reportProbeStages reports the top probes' acked → on NATS and on NATS →
// client read, over the samples that have all three times.
func reportProbeStages(b *testing.B, probes []*probe) {
	var toNATS, toClient []time.Duration
	for _, p := range probes {
		if p.step != 1 {
			continue
		}
		p.mu.Lock()
		for score, read := range p.readAt {
			ack, ok1 := p.acked[score]
			pub, ok2 := p.pubAt[score]
			if ok1 && ok2 {
				toNATS = append(toNATS, pub.Sub(ack))
				toClient = append(toClient, read.Sub(pub))
			}
		}
		p.mu.Unlock()
	}
	b.ReportMetric(pct(toNATS, 0.50), "ack_to_nats_p50_ms")
	b.ReportMetric(pct(toNATS, 0.99), "ack_to_nats_p99_ms")
	b.ReportMetric(pct(toClient, 0.50), "nats_to_client_p50_ms")
	b.ReportMetric(pct(toClient, 0.99), "nats_to_client_p99_ms")
	b.Logf("top probes split at the NATS publish: %d samples", len(toNATS))
}
