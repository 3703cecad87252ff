package aggregator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// TestFreedMissionWindowLeavesUserValue: once a mission window is freed, the
// scorer rewrites the value of each of its users without it, and a user
// with no mission window left reads as absent (the API answers an empty
// progress).
func TestFreedMissionWindowLeavesUserValue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	now := time.Now().UTC()
	f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	short := mustMission(t, "short.yml", fmt.Sprintf("id: m_short\ntitle: s\nwindow: {start: %s, end: %s}\nlateness: 1s\n"+
		"steps:\n  - {id: a, goal: {type: spin_count, count: 1000}}\n", f(now.Add(-time.Hour)), f(now.Add(2*time.Second))))
	long := mustMission(t, "long.yml", fmt.Sprintf("id: m_long\ntitle: l\nwindow: {start: %s, end: %s}\n"+
		"steps:\n  - {id: a, goal: {type: spin_count, count: 1000}}\n", f(now.Add(-time.Hour)), f(now.Add(time.Hour))))
	cs := []*contest.Contest{mustParse(t, "c.yml", fmt.Sprintf("id: c_any\ntitle: c\nwindow: {start: %s, end: %s}\nscoring: {model: wager}\n",
		f(now.Add(-time.Hour)), f(now.Add(time.Hour))))}
	p := startPipeline(t, cs, streams.Options{Partitions: 1}, 2*time.Second)
	p.rules.SetMissions([]*contest.Mission{long, short})
	n := 0
	send := func(user string) {
		n++
		body := fmt.Sprintf(`{"event_id":"ev%d","ts":%q,"type":"bet","user_id":%q,"game":{"id":"g1","provider":"acme"},"bet":{"amount_minor":10,"currency":"EUR"}}`,
			n, time.Now().UTC().Format(time.RFC3339Nano), user)
		p.publishNATS(ctx, "acme", user, fmt.Sprintf("ev%d", n), []byte(body))
	}
	send("only") // counted in both missions; no event after the short one ends
	kv, err := streams.EnsureMissionProgress(ctx, p.st.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	win := func(m *contest.Mission) int64 { return m.Base.Window.Start.Unix() }
	waitFor(t, 20*time.Second, "progress of both missions", func() bool {
		_, e1 := readProgress(ctx, kv, "m_short", win(short), "u1")
		_, e2 := readProgress(ctx, kv, "m_long", win(long), "only")
		return e1 == nil && e2 == nil
	}, func() { send("u1") })
	// Stream time moves on with u1's traffic (counted in the long mission).
	waitFor(t, 30*time.Second, "the release of the short mission's window", func() bool {
		_, e1 := readProgress(ctx, kv, "m_short", win(short), "u1")
		_, e2 := readProgress(ctx, kv, "m_short", win(short), "only")
		return e1 != nil && e2 != nil
	}, func() { send("u1") })
	for _, user := range []string{"u1", "only"} {
		doc, err := readProgress(ctx, kv, "m_long", win(long), user)
		if err != nil || doc.Steps[0].Progress == 0 {
			t.Errorf("%s's long mission progress: %+v, %v", user, doc, err)
		}
	}
	e, err := kv.Get(ctx, streams.MissionProgressUserKey("u1"))
	if err != nil || strings.Contains(string(e.Value()), "m_short") {
		t.Errorf("u1's value after the release: %v", err)
	}
}
