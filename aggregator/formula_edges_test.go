package aggregator_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/streams"
)

// TestPipelineFormulaEdges: formulas giving ±Inf, NaN and huge values, and
// exact wager points at 10^15, through the HTTP door and the scorer: each
// (contest, user) gets the points CONTRACT.md §3 says, an invalid event in
// the same batch is rejected and the valid ones all count, and the boards
// equal the oracle's.
func TestPipelineFormulaEdges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	win := "window: {start: " + f(t0.Add(-time.Hour)) + ", end: " + f(t0.Add(time.Hour)) + "}\n"
	scorings := map[string]string{
		"f_inf":   `{formula: "bet / (win - win)"}`,
		"f_ninf":  `{formula: "-bet / (win - win)"}`,
		"f_nan":   `{formula: "log(win - bet)"}`,
		"f_huge":  `{formula: "bet * 1e200"}`,
		"f_nhuge": `{formula: "-bet * 1e200"}`,
		"f_pow":   `{formula: "multiplier ** 400"}`,
		"f_exact": `{model: wager}`,
		"f_bonus": `{model: wager, bonus_coefficient: 0.5}`,
	}
	var cs []*contest.Contest
	for id, sc := range scorings {
		cs = append(cs, mustParse(t, id+".yml", "id: "+id+"\ntitle: t\n"+win+"scoring: "+sc+"\nleaderboard: {type: sum}\n"))
	}
	p := startPipeline(t, cs, streams.Options{Partitions: 2})
	const bet = 999_999_999_999_999
	mk := func(id, user, funds string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{
			"event_id": id, "ts": t0.Add(-time.Minute).Format(time.RFC3339Nano), "type": "round_end", "user_id": user,
			"game": map[string]any{"id": "g_1", "provider": "acme"}, "funds": funds,
			"bet": map[string]any{"amount_minor": bet, "currency": "EUR"}, "win": map[string]any{"amount_minor": 0, "multiplier": 10},
		})
		return b
	}
	bad := json.RawMessage(`{"event_id":"bad","ts":"` + t0.Format(time.RFC3339) + `","type":"bet","user_id":"u_bad","game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":1000000000000001,"currency":"EUR"}}`)
	body, _ := json.Marshal([]json.RawMessage{mk("e1", "u_cash", "cash"), bad, mk("e2", "u_bonus", "bonus")})
	if code, out := p.postHTTP("acme", body); code != 202 || out["accepted"] != 2.0 {
		t.Fatalf("post: %d %v", code, out)
	}
	p.waitSettled(ctx)
	want := map[string][2]int64{ // contest → points of u_cash, u_bonus
		"f_inf": {0, 0}, "f_ninf": {0, 0}, "f_nan": {0, 0}, "f_pow": {0, 0},
		"f_huge": {contest.MaxEventPoints, contest.MaxEventPoints}, "f_nhuge": {-contest.MaxEventPoints, -contest.MaxEventPoints},
		"f_exact": {bet, bet}, "f_bonus": {bet, 500_000_000_000_000},
	}
	for _, c := range cs {
		rows := p.ranker.Board(contest.BoardID{Contest: c.ID, Window: c.Window.Start.Unix()})
		got := map[string]int64{}
		for _, r := range rows {
			got[r.User] = r.Standing.Score
		}
		if w := want[c.ID]; len(rows) != 2 || got["u_cash"] != w[0] || got["u_bonus"] != w[1] {
			t.Errorf("%s: board %v, want u_cash %d u_bonus %d", c.ID, got, w[0], w[1])
		}
	}
	compareBoardsAtLeast(t, p, oracle.Compute(cs, p.arrivals(ctx), 30*time.Second), 16)
}
