package etl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/streams"
)

// testContests: a live contest for two providers with a minimum bet, and a
// finished one (its events arrive late) for two markets with divisions.
// Traffic spans 72h of event time, so max_event_delay (default 1h) is
// raised past it: lateness is the only late rule the recomputation models.
func testContests(t testing.TB, t0 time.Time) []*contest.Contest {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	live, err := contest.Parse("live.yml", []byte(fmt.Sprintf(`id: etl_live
title: Live wager race
window: {start: %s, end: %s}
lateness: 60s
max_event_delay: 100h
scope: {providers: [acme, beta]}
eligibility: {min_bet_minor: 10}
scoring: {model: wager}
leaderboard: {type: sum}
`, f(t0.Add(-48*time.Hour)), f(t0.Add(time.Hour)))))
	if err != nil {
		t.Fatal(err)
	}
	past, err := contest.Parse("past.yml", []byte(fmt.Sprintf(`id: etl_past
title: Finished market sprint
window: {start: %s, end: %s}
lateness: 60s
max_event_delay: 100h
scope: {markets: [DE, SE]}
scoring: {formula: "floor(win / 10) + 1"}
leaderboard: {type: sum, divisions: market}
`, f(t0.Add(-72*time.Hour)), f(t0.Add(-48*time.Hour)))))
	if err != nil {
		t.Fatal(err)
	}
	return []*contest.Contest{live, past}
}

// publishTraffic publishes n messages: valid events of three providers and
// markets over the last 72h, duplicates (a body sent again), and invalid
// ones (bad JSON, missing fields, ts in the future).
func publishTraffic(ctx context.Context, t testing.TB, js jetstream.JetStream, seed int64, n int, t0 time.Time) {
	r := rand.New(rand.NewSource(seed))
	type sent struct {
		subj string
		body []byte
	}
	var prev []sent
	futures := make([]jetstream.PubAckFuture, 0, n)
	for i := 0; i < n; i++ {
		user := fmt.Sprintf("u_%d", r.Intn(50))
		prov := []string{"acme", "beta", "gamma"}[r.Intn(3)]
		var s sent
		switch k := r.Intn(20); {
		case k == 0 && len(prev) > 0:
			s = prev[r.Intn(len(prev))]
		case k == 1:
			s = sent{event.Subject("acme", user), []byte(`not json`)}
		case k == 2:
			s = sent{event.Subject("acme", user), []byte(`{"event_id":"bad-` + fmt.Sprint(i) + `","user_id":"` + user + `"}`)}
		case k == 3:
			s = sent{event.Subject(prov, user), eventBody(r, fmt.Sprintf("%d-%d", seed, i), prov, user, t0.Add(time.Hour))}
		default:
			ts := t0.Add(-time.Duration(r.Int63n(int64(72 * time.Hour))))
			s = sent{event.Subject(prov, user), eventBody(r, fmt.Sprintf("%d-%d", seed, i), prov, user, ts)}
			prev = append(prev, s)
		}
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: s.subj, Data: s.body})
		if err != nil {
			t.Fatal(err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

func eventBody(r *rand.Rand, id string, prov, user string, ts time.Time) []byte {
	bet := []int{0, 5, 10, 20, 50, 100}[r.Intn(6)]
	ev := map[string]any{
		"event_id": "ev-" + id, "ts": ts.UTC().Format(time.RFC3339Nano),
		"type": "round_end", "user_id": user,
		"game": map[string]any{"id": []string{"g_1", "g_2", "g_3"}[r.Intn(3)], "provider": prov, "type": "slot"},
		"bet":  map[string]any{"amount_minor": bet, "currency": "EUR"},
		"win":  map[string]any{"amount_minor": bet * r.Intn(5)},
	}
	if m := r.Intn(4); m < 3 {
		ev["market"] = []string{"DE", "SE", "FI"}[m]
	}
	b, _ := json.Marshal(ev)
	return b
}

// storedMessages reads every EVENTS message.
func storedMessages(ctx context.Context, t testing.TB, js jetstream.JetStream) []aggregator.StoredEvent {
	st, err := js.Stream(ctx, streams.Events)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []aggregator.StoredEvent
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, aggregator.StoredEvent{Subject: m.Subject, Data: m.Data, Seq: m.Sequence, Time: m.Time})
	}
	return out
}

// accRow is one accruals row as compared.
type accRow struct {
	Seq         uint64
	Contest     string
	WindowStart int64
	Division    string
	Result      string
	Points      int64
}

// expectedAccruals recomputes the accruals from the stored messages with
// the contract's rules directly (not with aggregator.Engine): invalid
// messages count nowhere; a repeated event_id is a duplicate in every
// contest window in scope; otherwise per contest in scope: outside_window,
// ineligible, late (arrival after end + lateness) or counted with its points.
func expectedAccruals(cs []*contest.Contest, msgs []aggregator.StoredEvent) []accRow {
	seen := map[string]bool{}
	var out []accRow
	for _, m := range msgs {
		_, prov, user, ok := streams.ParseEventSubject(m.Subject)
		ev, err := event.Parse(m.Data)
		if !ok || err != nil || ev.UserID != user || ev.GameProvider != prov || event.CheckFuture(&ev, m.Time, event.DefaultMaxFutureSkew) != nil {
			continue
		}
		dup := seen[ev.EventID]
		seen[ev.EventID] = true
		for _, c := range cs {
			if !c.InScope(&ev) {
				continue
			}
			row := accRow{Seq: m.Seq, Contest: c.ID, Division: c.Division(&ev)}
			wins := c.WindowsAt(ev.TS)
			if len(wins) == 0 {
				row.Result = "outside_window"
				if dup {
					row.Result = "duplicate"
				}
				out = append(out, row)
				continue
			}
			for _, w := range wins {
				r := row
				r.WindowStart = w.Start.Unix()
				switch {
				case dup:
					r.Result = "duplicate"
				case c.Eligible(&ev) != "":
					r.Result = "ineligible"
				case m.Time.After(w.End.Add(c.Lateness)):
					r.Result = "late"
				default:
					r.Result, r.Points = "counted", c.Points(&ev)
				}
				out = append(out, r)
			}
		}
	}
	sortAcc(out)
	return out
}

func sortAcc(rows []accRow) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Seq != b.Seq {
			return a.Seq < b.Seq
		}
		if a.Contest != b.Contest {
			return a.Contest < b.Contest
		}
		return a.WindowStart < b.WindowStart
	})
}
