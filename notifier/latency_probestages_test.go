package notifier_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/streams"
)

// The top probes' latency split at the notifier's NATS publish: the
// benchmark process subscribes (in process, over the app's own connection)
// to each top probe's subject and stamps when the rank message with a new
// score is on NATS. acked → on NATS is scorer, SCORES, ranker tick, RANKS
// feed and the notifier; on NATS → read by the client is the gateway (NATS
// delivery, routing, the connection's queue and write) and the client
// process's read. acked → on NATS is split once more where the probe's
// standing is published to SCORES (the benchmark subscribes to the probe's
// SCORES subjects too): acked → on SCORES is the scorer (fetch, apply, the
// flush pacer's hold); on SCORES → on NATS is split where the probe's rank
// is on the RANKS feed (the benchmark follows the feed as a notifier
// does): on SCORES → on the feed is the ranker (SCORES delivery, the wait
// for a tick, the tick, the feed's publish), on the feed → on NATS the
// feed's delivery and the notifier. The
// stages of all events before that are the app's own histograms
// (latency_stages_test.go).

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
		subs = append(subs, sub, watchScored(b, nc, p))
	}
	return func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}
}

// watchScored stamps p.scoredAt for each of p's standings on SCORES
// (scores.<groups>.<group>.<contest>.<window>.<division>.<user>; the score
// is the payload's first word after the flags, aggregator/scoremsg.go).
func watchScored(b *testing.B, nc *nats.Conn, p *probe) *nats.Subscription {
	sub, err := nc.Subscribe("scores.*.*."+benchContest+".*.*."+p.user, func(m *nats.Msg) {
		now := time.Now()
		if len(m.Data) < 9 {
			return
		}
		score := int64(binary.BigEndian.Uint64(m.Data[1:9]))
		p.mu.Lock()
		if _, ok := p.scoredAt[score]; !ok {
			p.scoredAt[score] = now
		}
		p.mu.Unlock()
	})
	if err != nil {
		b.Fatalf("probe scores subscription: %v", err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	return sub
}

// watchFed stamps p.fedAt for each top probe's rank on the RANKS feed; the
// returned func stops following it.
func watchFed(ctx context.Context, b *testing.B, js jetstream.JetStream, probes []*probe) func() {
	top := map[string]*probe{}
	for _, p := range probes {
		if p.step == 1 {
			top[p.user] = p
		}
	}
	f, err := aggregator.NewRanksFollower(ctx, js, 1, nil)
	if err != nil {
		b.Fatalf("probe feed: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx, func(ds []aggregator.BoardDelta) {
			now := time.Now()
			for _, d := range ds {
				for u, p := range top {
					if rk, ok := d.Ranks[u]; ok {
						p.mu.Lock()
						if _, seen := p.fedAt[rk.Score]; !seen {
							p.fedAt[rk.Score] = now
						}
						p.mu.Unlock()
					}
				}
			}
		})
	}()
	return func() { f.Stop(); <-done }
}

// reportProbeStages reports the top probes' acked → on NATS and on NATS →
// client read, over the samples that have all three times.
func reportProbeStages(b *testing.B, probes []*probe) {
	var toNATS, toClient, toScores, scoresToNATS, scoresToFeed, feedToNATS []time.Duration
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
				if sc, ok := p.scoredAt[score]; ok {
					toScores = append(toScores, sc.Sub(ack))
					scoresToNATS = append(scoresToNATS, pub.Sub(sc))
					if fed, ok := p.fedAt[score]; ok {
						scoresToFeed = append(scoresToFeed, fed.Sub(sc))
						feedToNATS = append(feedToNATS, pub.Sub(fed))
					}
				}
			}
		}
		p.mu.Unlock()
	}
	b.ReportMetric(pct(toNATS, 0.50), "ack_to_nats_p50_ms")
	b.ReportMetric(pct(toNATS, 0.99), "ack_to_nats_p99_ms")
	b.ReportMetric(pct(toClient, 0.50), "nats_to_client_p50_ms")
	b.ReportMetric(pct(toClient, 0.99), "nats_to_client_p99_ms")
	b.ReportMetric(pct(toScores, 0.50), "ack_to_scores_p50_ms")
	b.ReportMetric(pct(toScores, 0.99), "ack_to_scores_p99_ms")
	b.ReportMetric(pct(scoresToNATS, 0.50), "scores_to_nats_p50_ms")
	b.ReportMetric(pct(scoresToNATS, 0.99), "scores_to_nats_p99_ms")
	b.ReportMetric(pct(scoresToFeed, 0.50), "scores_to_feed_p50_ms")
	b.ReportMetric(pct(scoresToFeed, 0.99), "scores_to_feed_p99_ms")
	b.ReportMetric(pct(feedToNATS, 0.50), "feed_to_nats_p50_ms")
	b.ReportMetric(pct(feedToNATS, 0.99), "feed_to_nats_p99_ms")
	b.Logf("top probes split at the NATS publish: %d samples (%d also on SCORES, %d on the feed)", len(toNATS), len(toScores), len(scoresToFeed))
}

// reportScoresPerEvent reports the SCORES messages published per EVENTS
// message over the run (the flush pacer's coalescing: each SCORES message
// costs JetStream a store and a delivery).
func reportScoresPerEvent(ctx context.Context, b *testing.B, js jetstream.JetStream) {
	var last [2]uint64
	for i, name := range []string{streams.Events, streams.Scores} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			b.Logf("stream %s: %v", name, err)
			return
		}
		info, err := s.Info(ctx)
		if err != nil {
			b.Logf("stream %s: %v", name, err)
			return
		}
		last[i] = info.State.LastSeq
	}
	b.ReportMetric(float64(last[1])/float64(max(last[0], 1)), "scores_per_event")
}
