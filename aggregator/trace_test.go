package aggregator_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// TestTraceIDInLogs: the log lines about a dead-lettered and a late event
// carry the event's trace_id.
func TestTraceIDInLogs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs testkit.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	ended := mustParse(t, "ended.yml", "id: ended\ntitle: e\nwindow: {start: "+now.Add(-3*time.Hour).Truncate(time.Second).Format(time.RFC3339)+
		", end: "+now.Add(-2*time.Hour).Truncate(time.Second).Format(time.RFC3339)+"}\nlateness: 1m\nscoring: {model: wager}\nleaderboard: {type: sum}\n")
	sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: st.JS, Rules: contest.NewRegistry([]*contest.Contest{ended}),
		Partitions: 4, Metrics: aggregator.NewMetrics(prometheus.NewRegistry())}, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx) }()
	publish := func(user, id, body string) {
		m := nats.NewMsg("events.acme." + user)
		m.Header.Set("Nats-Msg-Id", id)
		m.Data = []byte(body)
		if _, err := st.JS.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	publish("u1", "bad-1", `{"event_id":"bad-1","trace_id":"tr-bad-7","ts":"not a time"}`)
	ts := now.Add(-150 * time.Minute).Format(time.RFC3339)
	publish("u2", "late-1", `{"event_id":"late-1","trace_id":"tr-late-9","ts":"`+ts+`","type":"round_end","user_id":"u2",`+
		`"game":{"id":"g","provider":"acme"},"bet":{"amount_minor":100,"currency":"EUR"}}`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := logs.String()
		dead := lineWith(out, "event dead-lettered")
		late := lineWith(out, "late event")
		if strings.Contains(dead, "trace_id=tr-bad-7") && strings.Contains(late, "trace_id=tr-late-9") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log lines with the trace ids; dead-letter line %q, late line %q", dead, late)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func lineWith(logs, s string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
