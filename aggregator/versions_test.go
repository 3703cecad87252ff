package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/streams"
)

// versionContests are version 1 and version 2 of v_rules (new formula, caps,
// board type, tie-breakers and so sort key, scope) and an unchanged v_same.
func versionContests(t *testing.T, t0 time.Time) (v1, v2 []*contest.Contest) {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	long := fmt.Sprintf("window: {start: %s, end: %s}\nlateness: 60s\n", f(t0.Add(-96*time.Hour)), f(t0.Add(time.Hour)))
	same := `id: v_same
title: Unchanged
` + long + `scoring: {model: wager, cap_per_event: 30}
leaderboard: {type: max, divisions: market, tiebreakers: [earliest_finish]}
`
	r1 := mustParse(t, "v1.yml", `id: v_rules
title: Version 1
`+long+`scoring:
  formula: "min(multiplier, 5) * 10"
  cap_per_event: 40
  cap_per_user_per_day: 100
leaderboard: {type: sum, tiebreakers: [highest_single_multiplier]}
anti_abuse: {max_events_per_user_per_sec: 2}
`)
	r2 := mustParse(t, "v2.yml", `id: v_rules
title: Version 2
`+long+`scope: {providers: [acme]}
scoring:
  formula: "bet + 1"
  cap_per_event: 60
  cap_per_user_per_day: 150
leaderboard: {type: best_n, n: 3, tiebreakers: [fewest_rounds, earliest_finish]}
anti_abuse: {max_events_per_user_per_sec: 1}
`)
	r1.Version, r2.Version = 1, 2
	s1, s2 := mustParse(t, "same.yml", same), mustParse(t, "same.yml", same)
	s1.Version, s2.Version = 1, 1
	return []*contest.Contest{r1, s1}, []*contest.Contest{r2, s1}
}

// TestNewVersionMidTrafficRescores puts version 2 of a contest while events
// flow, then checks that the live boards (ranker and read model), a restart
// of scorer and ranker, and a replay all equal the independent oracle applied
// with version 2 to every event.
func TestNewVersionMidTrafficRescores(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t0 := time.Now().UTC()
	v1, v2 := versionContests(t, t0)
	p := startPipeline(t, v1, streams.Options{Partitions: 8})
	g := &gen{r: rand.New(rand.NewSource(7)), t0: t0}
	for i := 0; i < 30; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	half := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 0; i < 1600; i++ {
			e := g.event()
			p.publishNATS(ctx, e.provider, e.user, e.id, e.body)
			if i == 800 {
				close(half)
			}
			if i%100 == 0 {
				time.Sleep(10 * time.Millisecond) // steady traffic, not one burst
			}
		}
	}()
	<-half
	// Let the scorer publish some version-1 standings, then change the rules.
	deadline := time.Now().Add(20 * time.Second)
	for p.ranker.Processed() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	p.rules.Set(v2)
	<-sent
	p.waitSettled(ctx)

	want := oracle.Compute(v2, p.arrivals(ctx), 30*time.Second)
	if old := oracle.Compute(v1, p.arrivals(ctx), 30*time.Second); sameBoards(old, want) {
		t.Fatal("version 2 gives the standings of version 1: the test would not test re-scoring")
	}
	compareBoards(t, p, want)
	compareReadModel(ctx, t, p, want)

	// Replay with the version in force.
	res, err := replay.Run(ctx, replay.Options{JS: p.st.JS, Rules: contest.NewRegistry(v2)})
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, "replay", func(id contest.BoardID) []aggregator.Row { return res.Boards[id] }, want)

	// Restart: stop scorer and ranker, start new ones on the same streams.
	p.cancel()
	<-p.done
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	rules := contest.NewRegistry(v2)
	m := aggregator.NewMetrics(prometheus.NewRegistry())
	sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: p.st.JS, Rules: rules, Partitions: 8, Metrics: m}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	rk, err := aggregator.NewRanker(aggregator.RankerOptions{JS: p.st.JS, Rules: rules, Tick: 50 * time.Millisecond, Metrics: m}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = sc.Run(rctx) }()
	go func() { _ = rk.Run(rctx) }()
	deadline = time.Now().Add(60 * time.Second)
	for !(sc.CaughtUp() && rk.Ready()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	waitBoardsEqual(t, "restart", rk.Board, want, 20*time.Second)
}

// sameBoards reports whether two oracle results hold the same standings.
func sameBoards(a, b oracle.Result) bool {
	if len(a.Boards) != len(b.Boards) {
		return false
	}
	for id, ra := range a.Boards {
		rb, ok := b.Boards[id]
		if !ok || len(ra) != len(rb) {
			return false
		}
		for i := range ra {
			if ra[i].User != rb[i].User || ra[i].Score != rb[i].Score || ra[i].Rounds != rb[i].Rounds {
				return false
			}
		}
	}
	return true
}

func rowsDiff(got []aggregator.Row, exp []oracle.Standing) string {
	if len(got) != len(exp) {
		return fmt.Sprintf("%d users, want %d", len(got), len(exp))
	}
	for i := range exp {
		g, w := got[i], exp[i]
		if g.Pos != w.Pos || g.User != w.User || g.Standing.Score != w.Score || g.Standing.Rounds != w.Rounds ||
			g.Standing.MaxMult != w.MaxMultiplier || g.Standing.Finish != w.Finish {
			return fmt.Sprintf("pos %d: got %s score=%d rounds=%d, want %s score=%d rounds=%d",
				w.Pos, g.User, g.Standing.Score, g.Standing.Rounds, w.User, w.Score, w.Rounds)
		}
	}
	return ""
}

func compareRows(t *testing.T, what string, board func(contest.BoardID) []aggregator.Row, want oracle.Result) {
	t.Helper()
	ids := make([]oracle.BoardID, 0, len(want.Boards))
	for id := range want.Boards {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return boardKey(ids[i]) < boardKey(ids[j]) })
	for _, id := range ids {
		got := board(contest.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division})
		if d := rowsDiff(got, want.Boards[id]); d != "" {
			t.Errorf("%s: board %s: %s", what, boardKey(id), d)
		}
	}
}

func waitBoardsEqual(t *testing.T, what string, board func(contest.BoardID) []aggregator.Row, want oracle.Result, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		diff := ""
		for id, exp := range want.Boards {
			if d := rowsDiff(board(contest.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division}), exp); d != "" {
				diff = boardKey(id) + ": " + d
				break
			}
		}
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: %s", what, diff)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
