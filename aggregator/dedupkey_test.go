package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/streams"
)

// TestDedupKeyProviderUserEventID: the identity of an event is (provider,
// user, event_id) (README "Duplicates"). Two providers, or two users of one
// provider, reusing an event_id inside dedup_window are different events
// and both count; a real copy counts once whichever door and Nats-Msg-Id it
// comes with; live standings = the oracle = replay.
func TestDedupKeyProviderUserEventID(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	cs := []*contest.Contest{mustParse(t, "dd.yml", `id: p_dd
title: Dedup key
window: {start: `+f(t0.Add(-time.Hour))+`, end: `+f(t0.Add(time.Hour))+`}
scoring: {model: wager}
leaderboard: {type: sum}
`)}
	p := startPipeline(t, cs, streams.Options{Partitions: 2, DedupWindow: time.Minute})
	evBody := func(prov, user string, bet int) json.RawMessage {
		b, _ := json.Marshal(map[string]any{
			"event_id": "same-1", "ts": t0.Add(-time.Minute).Format(time.RFC3339Nano), "type": "round_end", "user_id": user,
			"game": map[string]any{"id": "g_1", "provider": prov}, "bet": map[string]any{"amount_minor": bet, "currency": "EUR"},
		})
		return b
	}
	post := func(prov string, wantAccepted, wantDups float64, evs ...json.RawMessage) {
		t.Helper()
		body, _ := json.Marshal(evs)
		code, out := p.postHTTP(prov, body)
		if code != 202 || out["accepted"] != wantAccepted || out["duplicates"] != wantDups {
			t.Fatalf("%s: %d %v, want accepted %v duplicates %v", prov, code, out, wantAccepted, wantDups)
		}
	}
	post("acme", 2, 0, evBody("acme", "u_1", 10), evBody("acme", "u_2", 40)) // one id, two users
	post("beta", 1, 0, evBody("beta", "u_1", 20))                            // the same id of another provider
	post("acme", 0, 1, evBody("acme", "u_1", 99))                            // a real copy: the broker drops it
	// The same copy through the NATS door with the contract's Nats-Msg-Id
	// (<event_id>) is stored, and the scorer counts it as a duplicate.
	p.publishNATS(ctx, "acme", "u_1", "same-1", evBody("acme", "u_1", 77))
	p.waitSettled(ctx)

	id := contest.BoardID{Contest: "p_dd", Window: cs[0].Window.Start.Unix()}
	live := p.ranker.Board(id)
	if len(live) != 2 || live[0].User != "u_2" || live[0].Standing.Score != 40 || live[1].User != "u_1" ||
		live[1].Standing.Score != 30 || live[1].Standing.Rounds != 2 {
		t.Fatalf("live board %+v", live)
	}
	want := oracle.Compute(cs, p.arrivals(ctx), 30*time.Second)
	compareBoardsAtLeast(t, p, want, 2)
	res, err := replay.Run(ctx, replay.Options{JS: p.st.JS, Rules: p.rules})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Boards[id]; !reflect.DeepEqual(rowsOf(got), rowsOf(live)) {
		t.Fatalf("replay %v, live %v", rowsOf(got), rowsOf(live))
	}
}

func rowsOf(rows []aggregator.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%d %s %d %d", r.Pos, r.User, r.Standing.Score, r.Standing.Rounds))
	}
	return out
}
