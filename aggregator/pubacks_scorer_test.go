package aggregator_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

// TestScoresRefusedRepublished: standings the SCORES stream refuses (here:
// full, discard new, so a new user's subject is not stored) are answered
// with an error on the flush's inbox; the checkpoint round fails, and once
// the stream takes them again the worker republishes its standings, so the
// ranker ends with the oracle's boards.
func TestScoresRefusedRepublished(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	cs := []*contest.Contest{mustParse(t, "refused.yml", `id: p_ref
title: Refused standings
window: {start: `+f(t0.Add(-time.Hour))+`, end: `+f(t0.Add(time.Hour))+`}
scoring: {model: wager}
leaderboard: {type: sum}
`)}
	p := startPipeline(t, cs, streams.Options{Partitions: 2}, time.Hour) // checkpoints every 200 ms
	post := func(user, id string, bet int) {
		t.Helper()
		b, _ := json.Marshal([]map[string]any{{
			"event_id": id, "ts": t0.Add(-time.Minute).Format(time.RFC3339Nano), "type": "round_end", "user_id": user,
			"game": map[string]any{"id": "g_1", "provider": "acme"}, "bet": map[string]any{"amount_minor": bet, "currency": "EUR"},
		}})
		if code, out := p.postHTTP("acme", b); code != 202 {
			t.Fatalf("post %s: %d %v", id, code, out)
		}
	}
	post("u_1", "e1", 10)
	post("u_2", "e2", 20)
	p.waitSettled(ctx)
	scores, err := p.st.JS.Stream(ctx, streams.Scores)
	if err != nil {
		t.Fatal(err)
	}
	info, err := scores.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	full, open := info.Config, info.Config
	full.MaxMsgs, full.Discard = int64(info.State.Msgs), jetstream.DiscardNew
	if _, err := p.st.JS.UpdateStream(ctx, full); err != nil {
		t.Fatal(err)
	}
	failed := checkpointsFailed(t, p.reg)
	post("u_3", "e3", 30)
	post("u_1", "e4", 5)
	waitFor(t, time.Minute, "failed checkpoint round", func() bool { return checkpointsFailed(t, p.reg) > failed }, nil)
	id := contest.BoardID{Contest: "p_ref", Window: cs[0].Window.Start.Unix()}
	for _, r := range p.ranker.Board(id) {
		if r.User == "u_3" {
			t.Fatalf("u_3's refused standing reached the ranker: %+v", r)
		}
	}
	if _, err := p.st.JS.UpdateStream(ctx, open); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "u_3 on the board", func() bool {
		b := p.ranker.Board(id)
		return len(b) == 3 && b[0].User == "u_3" && b[0].Standing.Score == 30 && b[2].User == "u_1" && b[2].Standing.Score == 15
	}, nil)
	p.waitSettled(ctx)
	compareBoardsAtLeast(t, p, oracle.Compute(cs, p.arrivals(ctx), 30*time.Second), 3)
}

// checkpointsFailed is the scorer's count of failed checkpoint rounds.
func checkpointsFailed(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "rankstream_scorer_checkpoints_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == "failed" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
