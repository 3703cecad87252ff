package aggregator_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// TestEngineReportsEveryReason: each way an event does not count has its own
// accrual result (CONTRACT.md §3), which the scorer turns into the
// rankstream_accruals_total{contest,result} label; rate-limited events are not
// "counted".
func TestEngineReportsEveryReason(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	open := "window: {start: " + f(now.Add(-time.Hour)) + ", end: " + f(now.Add(time.Hour)) + "}\n"
	rules := contest.NewRegistry([]*contest.Contest{
		mustParse(t, "main.yml", "id: c_main\ntitle: m\n"+open+`lateness: 60s
scope: {providers: [acme]}
eligibility: {min_bet_minor: 10}
scoring: {model: wager, bonus_coefficient: 0}
leaderboard: {type: sum}
anti_abuse: {max_events_per_user_per_sec: 1}
`),
		mustParse(t, "frozen.yml", "id: c_frozen\ntitle: f\n"+open+"scoring: {model: wager}\nleaderboard: {type: sum}\n"),
		mustParse(t, "closed.yml", "id: c_closed\ntitle: c\nwindow: {start: "+f(now.Add(-3*time.Hour))+", end: "+f(now.Add(-2*time.Hour))+
			"}\nlateness: 1s\nscoring: {model: wager}\nleaderboard: {type: sum}\n"),
	})
	rules.Freeze("c_frozen", true, now.Add(-time.Hour))
	eng := aggregator.NewEngine(rules, 0)
	seq := uint64(0)
	apply := func(id, prov string, ts time.Time, bet int, funds string) map[string]string {
		m := map[string]any{"event_id": id, "ts": ts.Format(time.RFC3339Nano), "type": "round_end", "user_id": "u1",
			"game": map[string]any{"id": "g1", "provider": prov}, "bet": map[string]any{"amount_minor": bet, "currency": "EUR"}}
		if funds != "" {
			m["funds"] = funds
		}
		raw, _ := json.Marshal(m)
		seq++
		d := eng.Apply(aggregator.StoredEvent{Subject: "events.0." + prov + ".u1", Data: raw, Seq: seq, Time: now})
		if d.Invalid != nil {
			t.Fatalf("%s: invalid: %v", id, d.Invalid)
		}
		got := map[string]string{}
		for _, r := range d.Accruals {
			if _, twice := got[r.Contest]; twice {
				t.Fatalf("%s: contest %s has two accrual results: %v", id, r.Contest, d.Accruals)
			}
			got[r.Contest] = r.Result
		}
		return got
	}
	in := now.Add(-10 * time.Minute)
	cases := []struct {
		name, id, prov string
		ts             time.Time
		bet            int
		funds          string
		contest, want  string
	}{
		{"counted", "e1", "acme", in, 100, "", "c_main", contest.ReasonCounted},
		{"rate limited", "e2", "acme", in.Add(500 * time.Millisecond), 100, "", "c_main", contest.ReasonRateLimited},
		{"out of scope", "e3", "beta", in.Add(2 * time.Second), 100, "", "c_main", contest.ReasonOutOfScope},
		{"ineligible bet", "e4", "acme", in.Add(3 * time.Second), 5, "", "c_main", contest.ReasonIneligible},
		{"ineligible bonus", "e5", "acme", in.Add(4 * time.Second), 100, "bonus", "c_main", contest.ReasonIneligible},
		{"outside window", "e6", "acme", now.Add(-5 * time.Hour), 100, "", "c_main", contest.ReasonOutsideWindow},
		{"duplicate", "e1", "acme", in, 100, "", "c_main", contest.ReasonDuplicate},
		{"duplicate in other contest", "e1", "acme", in, 100, "", "c_frozen", contest.ReasonDuplicate},
		{"late", "e7", "acme", now.Add(-150 * time.Minute), 100, "", "c_closed", contest.ReasonLate},
		{"frozen", "e8", "acme", in.Add(5 * time.Second), 100, "", "c_frozen", contest.ReasonFrozen},
		{"counted again next second", "e9", "acme", in.Add(6 * time.Second), 100, "", "c_main", contest.ReasonCounted},
	}
	for _, c := range cases {
		got := apply(c.id, c.prov, c.ts, c.bet, c.funds)
		if got[c.contest] != c.want {
			t.Errorf("%s: %s result %q, want %q (all: %v)", c.name, c.contest, got[c.contest], c.want, got)
		}
	}
}
