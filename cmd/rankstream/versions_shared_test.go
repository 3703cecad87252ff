package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/replay"
)

// TestVersionPutOnOneProcessRescoresEverywhere: two aggregator processes
// share the partitions; a new version is put through the admin API of one of
// them while events flow. Both put it in force, and the boards (as every
// process's ranker holds them) end up equal to a replay of the whole stream
// with the new version.
func TestVersionPutOnOneProcessRescoresEverywhere(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	now := time.Now().UTC()
	winStart, win := secondsWindow(now)
	v1 := "id: vs_rules\ntitle: One\n" + win + "scoring: {model: wager, cap_per_event: 14}\nleaderboard: {type: sum, tiebreakers: [earliest_finish]}\n"
	v2 := "id: vs_rules\ntitle: Two\n" + win + "scope: {providers: [acme]}\nscoring: {formula: \"win + 1\"}\n" +
		"leaderboard: {type: best_n, n: 2, tiebreakers: [fewest_rounds]}\n"
	env := apptest.NewEnv(t)
	a1 := apptest.Start(t, env, []*contest.Contest{parseContest(t, v1)}, sharedMode("ver1", "", 0))
	a2 := apptest.Start(t, env, []*contest.Contest{parseContest(t, v1)}, sharedMode("ver2", a1.Streams.URL(), 0))
	apps := []*app.App{a1, a2}
	poll(t, 30*time.Second, "two processes share the partitions", func() bool {
		return len(a1.Scorer.Owned()) > 0 && len(a2.Scorer.Owned()) > 0 &&
			len(a1.Scorer.Owned())+len(a2.Scorer.Owned()) == a1.Scorer.Partitions()
	})
	tr := &traffic{send: func(i int64) {
		user, id, prov := fmt.Sprintf("u_%d", i%40), fmt.Sprintf("v%d", i), []string{"acme", "beta"}[i%3/2]
		apptest.Publish(t, a1, prov, user, id,
			apptest.Event(id, user, prov, now.Add(-time.Duration(i%3000)*time.Second), int64(5+i%11), int64(i%9*3), "DE"))
	}}
	tr.run(ctx, 1500)
	defer tr.Stop()
	poll(t, 30*time.Second, "traffic under way", func() bool { return tr.sent() > 400 })
	putVersion(t, "http://"+a2.Addr(), apptest.AdminToken, "vs_rules", v2)
	tr.wait()
	poll(t, 10*time.Second, "version 2 in force in both processes", func() bool {
		return a1.Rules.Get("vs_rules").Version == 2 && a2.Rules.Get("vs_rules").Version == 2
	})
	c2 := a1.Rules.Get("vs_rules")
	res, err := replay.Run(ctx, replay.Options{JS: a1.Streams.JS, Rules: contest.NewRegistry([]*contest.Contest{c2})})
	if err != nil {
		t.Fatal(err)
	}
	id := contest.BoardID{Contest: "vs_rules", Window: winStart.Unix()}
	want := res.Boards[id]
	if len(want) == 0 {
		t.Fatal("replay has no board")
	}
	// The board is ranked by the process holding its board group.
	var diff string
	poll(t, 30*time.Second, "the holder's live board equal to the replay with version 2", func() bool {
		for _, a := range apps {
			if a.Groups.Owns(id) {
				diff = boardDiff(a.Ranker.Board(id), want)
				return diff == ""
			}
		}
		diff = "no process holds the board's group"
		return false
	})
	t.Logf("%d events, %d users on the board under version 2", tr.sent(), len(want))
}

func boardDiff(got, want []aggregator.Row) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d users, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			return fmt.Sprintf("pos %d: got %+v, want %+v", i+1, got[i], want[i])
		}
	}
	return ""
}
