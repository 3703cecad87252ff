package query

import (
	"net/http"
	"testing"
	"time"
)

// TestStatusFinalizeAndFreeze (CONTRACT.md §4): a window an operator
// finalized is final at once in /v1/contests and /v1/leaderboards (not live
// until end + lateness); frozen shows only on windows not yet final.
func TestStatusFinalizeAndFreeze(t *testing.T) {
	fin := fixed("fin", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	later := fixed("later", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	frozenLive := fixed("frozenlive", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	frozenOver := fixed("frozenover", "2025-10-24T17:00:00Z", "2025-10-24T18:00:00Z")
	frozenFin := fixed("frozenfin", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	f := newFixture(t, now, fin, later, frozenLive, frozenOver, frozenFin)
	f.closed[closeKey{"fin", fin.Window.Start.Unix()}] = now.Add(-time.Minute)
	f.closed[closeKey{"later", later.Window.Start.Unix()}] = now.Add(time.Minute) // takes effect later
	f.closed[closeKey{"frozenfin", frozenFin.Window.Start.Unix()}] = now.Add(-time.Second)
	f.frozen["frozenlive"], f.frozen["frozenover"], f.frozen["frozenfin"] = true, true, true
	f.fill(fin, fin.Window.Start, "", entry{user: "u1", score: 5})
	want := map[string]string{"fin": "final", "later": "live", "frozenlive": "frozen", "frozenover": "final", "frozenfin": "final"}

	var list []struct{ ID, Status string }
	if code := f.get("/v1/contests", nil, &list); code != http.StatusOK || len(list) != len(want) {
		t.Fatalf("code %d, %d contests", code, len(list))
	}
	for _, c := range list {
		if c.Status != want[c.ID] {
			t.Errorf("/v1/contests %s: status %q, want %q", c.ID, c.Status, want[c.ID])
		}
	}
	for id, st := range want {
		var b struct{ Status string }
		if code := f.get("/v1/leaderboards/"+id, nil, &b); code != http.StatusOK {
			t.Fatalf("%s: code %d", id, code)
		}
		if b.Status != st {
			t.Errorf("/v1/leaderboards/%s: status %q, want %q", id, b.Status, st)
		}
	}
}
