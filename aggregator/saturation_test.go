package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

// TestPipelineSaturatesScores: a user with 9300 events of 10^15 points (a
// formula of 1e300, clamped) saturates at 2^63−1 instead of wrapping to a
// negative sum, -1e30 per event gives −10^15; the live board equals the
// oracle's and the desc board ranks them first and last. (Negative
// saturation is in the contest and oracle unit tests.)
func TestPipelineSaturatesScores(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	cs := []*contest.Contest{mustParse(t, "sat.yml", `id: p_sat
title: Saturation
window: {start: `+f(t0.Add(-4*time.Hour))+`, end: `+f(t0.Add(time.Hour))+`}
max_event_delay: 5h
scoring: {formula: "bet >= 100 ? 1e300 : (bet == 1 ? -1e30 : bet)"}
leaderboard: {type: sum}
`)}
	p := startPipeline(t, cs, streams.Options{Partitions: 2})
	const n = 9300 // 9224 × 10^15 > 2^63−1
	body := func(id, user string, ts time.Time, bet int) []byte {
		b, _ := json.Marshal(map[string]any{
			"event_id": id, "ts": ts.Format(time.RFC3339Nano), "type": "round_end", "user_id": user,
			"game": map[string]any{"id": "g_1", "provider": "acme"},
			"bet":  map[string]any{"amount_minor": bet, "currency": "EUR"},
		})
		return b
	}
	start := t0.Add(-3 * time.Hour)
	for i := 0; i < n; i++ {
		ts := start.Add(time.Duration(i) * time.Second)
		for _, u := range []struct {
			user, id string
			bet      int
		}{{"u_whale", fmt.Sprintf("w-%d", i), 100}} {
			m := nats.NewMsg("events.acme." + u.user)
			m.Data = body(u.id, u.user, ts, u.bet)
			m.Header.Set("Nats-Msg-Id", u.id)
			if _, err := p.st.JS.PublishMsgAsync(m); err != nil {
				t.Fatal(err)
			}
		}
		if i%1000 == 999 || i == n-1 {
			// at most 1000 unacknowledged: more stalls the client
			// ("too many outstanding async published messages") on a
			// loaded machine
			awaitAsync(ctx, t, p)
		}
	}
	p.publishNATS(ctx, "acme", "u_mid", "m-1", body("m-1", "u_mid", start, 42))
	for i := 0; i < 3; i++ { // three of -10^15: the most negative, last
		id := fmt.Sprintf("s-%d", i)
		p.publishNATS(ctx, "acme", "u_sink", id, body(id, "u_sink", start.Add(time.Duration(i)*time.Second), 1))
	}
	t.Logf("published %v", time.Since(t0))
	p.waitSettled(ctx)
	t.Logf("settled %v", time.Since(t0))
	want := oracle.Compute(cs, p.arrivals(ctx), 30*time.Second)
	b := want.Boards[oracle.BoardID{Contest: "p_sat", Window: cs[0].Window.Start.Unix()}]
	if len(b) != 3 || b[0].User != "u_whale" || b[0].Score != math.MaxInt64 || b[1].Score != 42 ||
		b[2].User != "u_sink" || b[2].Score != -3*contest.MaxEventPoints {
		t.Fatalf("oracle board %+v", b)
	}
	t.Logf("oracle %v", time.Since(t0))
	compareBoardsAtLeast(t, p, want, 3)
}

// awaitAsync waits until every async publish of p's JetStream context is
// acknowledged.
func awaitAsync(ctx context.Context, t *testing.T, p *pipeline) {
	t.Helper()
	select {
	case <-p.st.JS.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("async publishes not acked")
	}
}
