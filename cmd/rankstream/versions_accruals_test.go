package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app/apptest"
)

// TestVersionPutCountsNoAccrualAgain (CONTRACT.md §5/§8): putting a new
// version re-scores the open window on a scratch Engine whose decisions are
// not counted, so rankstream_accruals_total{contest,result} stays at one
// per (event, contest). The metric is per contest: 6 events in the scope of
// two contests are 12 accruals in all, 6 of each contest, before and after
// the put.
func TestVersionPutCountsNoAccrualAgain(t *testing.T) {
	now := time.Now().UTC()
	_, win := secondsWindow(now)
	v1 := "id: va_div\ntitle: One\n" + win + "scoring: {model: wager}\nleaderboard: {type: sum, divisions: market}\n"
	v2 := "id: va_div\ntitle: Two\n" + win + "scoring: {formula: \"bet * 2\"}\nleaderboard: {type: sum, divisions: market}\n"
	a := apptest.Start(t, apptest.NewEnv(t), []*contest.Contest{parseContest(t, v1), parseContest(t, sumContest("va_other", "Other", now, ""))})
	p := &proc{name: "app", http: a.Addr()}
	for i := range 6 {
		id, user := fmt.Sprintf("va%d", i), fmt.Sprintf("u%d", i%3)
		apptest.Publish(t, a, "acme", user, id, apptest.Event(id, user, "acme", now, 10, 0, "DE"))
	}
	checkCounted := func(when string) {
		t.Helper()
		for _, id := range []string{"va_div", "va_other"} {
			if v, _ := p.metric(`rankstream_accruals_total{contest="` + id + `",result="counted"}`); v != 6 {
				t.Fatalf("%s: %s counted %v accruals for 6 events", when, id, v)
			}
		}
	}
	poll(t, 20*time.Second, "12 accruals", func() bool {
		v, _ := p.metric("rankstream_accruals_total")
		return v == 12
	})
	checkCounted("before the put")
	putVersion(t, p.base(), apptest.AdminToken, "va_div", v2)
	// Re-scored with version 2 (bet * 2): the read model shows it.
	poll(t, 20*time.Second, "version 2 standings (40 each) on the DE board", func() bool {
		rows := boardRowsQuery(t, p, "va_div", "division=DE")
		return len(rows) == 3 && rows["u0"].Score == 40 && rows["u1"].Score == 40 && rows["u2"].Score == 40
	})
	checkCounted("after the put")
	if v, _ := p.metric("rankstream_scorer_rescores_total"); v < 1 {
		t.Fatal("no re-score counted")
	}
}
