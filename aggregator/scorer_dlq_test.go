package aggregator_test

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// TestLateLettersOfOneEventSurviveACrash: an event late for two contests has
// two DLQ_LATE letters. A process that died after storing the first (the
// letter is in DLQ_LATE, the event is not checkpointed) must, on restart,
// store the second too, and not the first again — in both scorer modes.
func TestLateLettersOfOneEventSurviveACrash(t *testing.T) {
	for _, mode := range []struct {
		name     string
		instance string
		ckpt     time.Duration
	}{{"single", "", -1}, {"shared", "p1", time.Hour}} {
		t.Run(mode.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4}, testLogger())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			now := time.Now().UTC()
			f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
			closed := "window: {start: " + f(now.Add(-3*time.Hour)) + ", end: " + f(now.Add(-2*time.Hour)) +
				"}\nlateness: 1s\nmax_event_delay: 10h\nscoring: {model: wager}\nleaderboard: {type: sum}\n"
			rules := contest.NewRegistry([]*contest.Contest{
				mustParse(t, "a.yml", "id: c_a\ntitle: a\n"+closed),
				mustParse(t, "b.yml", "id: c_b\ntitle: b\n"+closed),
			})
			raw, _ := json.Marshal(map[string]any{"event_id": "e1", "ts": f(now.Add(-150 * time.Minute)), "type": "round_end",
				"user_id": "u1", "game": map[string]any{"id": "g1", "provider": "acme"},
				"bet": map[string]any{"amount_minor": 100, "currency": "EUR"}})
			m := nats.NewMsg("events.acme.u1")
			m.Data = raw
			ack, err := st.JS.PublishMsg(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			evs, _ := st.JS.Stream(ctx, streams.Events)
			stored, err := evs.GetMsg(ctx, ack.Sequence)
			if err != nil {
				t.Fatal(err)
			}
			part, _, _, _ := streams.ParseEventSubject(stored.Subject)
			// The first life stored c_a's letter, as the scorer writes it, then died.
			win := contest.Window{Start: rules.Get("c_a").Window.Start}
			seq := strconv.FormatUint(ack.Sequence, 10)
			first := nats.NewMsg(streams.DLQLateSubject(part))
			first.Data = raw
			first.Header.Set(streams.HeaderReason, contest.ReasonLate)
			first.Header.Set(streams.HeaderSubject, stored.Subject)
			first.Header.Set(streams.HeaderSeq, seq)
			first.Header.Set(streams.HeaderContest, "c_a")
			first.Header.Set(streams.HeaderWindow, win.Start.UTC().Format(time.RFC3339))
			first.Header.Set(streams.HeaderMsgID, "late-c_a-"+strconv.FormatInt(win.Key(), 10)+"-"+seq)
			if _, err := st.JS.PublishMsg(ctx, first); err != nil {
				t.Fatal(err)
			}

			sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: st.JS, Rules: rules, Partitions: 4,
				CheckpointInterval: mode.ckpt, Instance: mode.instance, LeaseTTL: time.Second}, testLogger())
			if err != nil {
				t.Fatal(err)
			}
			rctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- sc.Run(rctx) }()
			defer func() { stop(); <-done }()
			deadline := time.Now().Add(30 * time.Second)
			for !sc.CaughtUp() || sc.Processed() < ack.Sequence {
				if time.Now().After(deadline) {
					t.Fatalf("scorer did not process seq %d within 30s (processed %d)", ack.Sequence, sc.Processed())
				}
				time.Sleep(20 * time.Millisecond)
			}
			// A letter is stored before its event counts as processed.
			if got, want := lateLetters(ctx, t, st.JS), []string{"c_a " + seq, "c_b " + seq}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("DLQ_LATE holds %v, want %v", got, want)
			}
		})
	}
}

// lateLetters lists DLQ_LATE as "contest seq", sorted.
func lateLetters(ctx context.Context, t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	s, err := js.Stream(ctx, streams.DLQLate)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for q := info.State.FirstSeq; q <= info.State.LastSeq && info.State.Msgs > 0; q++ {
		m, err := s.GetMsg(ctx, q)
		if err != nil {
			t.Fatalf("DLQ_LATE seq %d: %v", q, err)
		}
		out = append(out, m.Header.Get(streams.HeaderContest)+" "+m.Header.Get(streams.HeaderSeq))
	}
	sort.Strings(out)
	return out
}
