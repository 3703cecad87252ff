package aggregator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// TestRankerReadsOldSubjectSchemes is the upgrade path of the SCORES
// subjects (docs/architecture.md, "SCORES subjects and the group filter"):
// standings written before the group token (legacy subjects) and under
// another group count stay read, and a later standing of the same user, on
// any scheme, wins (stream order within a group). A single-mode ranker reads
// the legacy subjects next to its own; after a change to two board groups,
// two ranker processes read their own groups' subjects plus the older ones,
// and each keeps only its own groups' boards.
func TestRankerReadsOldSubjectSchemes(t *testing.T) {
	js := scoresOnly(t)
	ctx := t.Context()
	c, boardA, boardB := upgradeContest(t)
	rules := contest.NewRegistry([]*contest.Contest{c})
	pub := func(subj string, score int64, removed bool) {
		t.Helper()
		sm := ScoreMsg{Standing: contest.Standing{Score: score, Rounds: 1}, Removed: removed}
		if _, err := js.Publish(ctx, subj, sm.encode(nil)); err != nil {
			t.Fatal(err)
		}
	}
	legacy := func(id contest.BoardID, user string) string {
		return streams.LegacyScoreSubject(id.Contest, id.Window, id.Division, user)
	}
	// Before the upgrade.
	pub(legacy(boardA, "u1"), 10, false)
	pub(legacy(boardA, "u2"), 20, false)
	pub(legacy(boardA, "u4"), 40, false)
	pub(legacy(boardB, "u3"), 30, false)

	// Upgraded, single mode (one group): legacy subjects and its own.
	r1, stop1 := runUpgradeRanker(t, js, rules, nil)
	pub(scoreSubject(1, boardA, "u2"), 25, false)
	pub(scoreSubject(1, boardA, "u4"), 0, true)
	testkit.Eventually(t, 10*time.Second, func() error {
		return errors.Join(wantRows(r1, boardA, "u2=25", "u1=10"), wantRows(r1, boardB, "u3=30"))
	})
	stop1()

	// Two board groups, two processes.
	groups := func(instance string) *BoardGroups {
		g, err := NewBoardGroups(BoardGroupsOptions{JS: js, Instance: instance, Groups: 2, TTL: time.Second}, testkit.Logger())
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	ga, gb := groups("pa"), groups("pb")
	ra, _ := runUpgradeRanker(t, js, rules, ga)
	rb, _ := runUpgradeRanker(t, js, rules, gb)
	pub(scoreSubject(2, boardB, "u3"), 33, false)
	pub(scoreSubject(2, boardB, "u5"), 50, false)
	testkit.Eventually(t, 20*time.Second, func() error {
		if len(ga.HeldGroups()) != 1 || len(gb.HeldGroups()) != 1 {
			return fmt.Errorf("groups held: pa %v, pb %v", ga.HeldGroups(), gb.HeldGroups())
		}
		return heldExact(map[*BoardGroups]*Ranker{ga: ra, gb: rb}, map[contest.BoardID][]string{
			boardA: {"u2=25", "u1=10"}, boardB: {"u5=50", "u3=33"}})
	})
	// A process that held both groups while it first read SCORES (the other
	// had not joined yet) saw nothing foreign; the later one always does.
	if ra.ForeignScores()+rb.ForeignScores() == 0 {
		t.Fatalf("foreign standings pa %d, pb %d: the older subjects of the other group were not read", ra.ForeignScores(), rb.ForeignScores())
	}
	st, err := js.Stream(ctx, streams.Scores)
	if err != nil {
		t.Fatal(err)
	}
	if g := st.CachedInfo().Config.Metadata[streams.ScoresGenerationsMeta]; g != "1,2" {
		t.Fatalf("SCORES group counts %q, want 1,2", g)
	}
}

// scoresOnly is an embedded server with the SCORES stream alone.
func scoresOnly(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, _, js := testkit.JetStream(t)
	for _, cfg := range streams.Configs(streams.Options{Partitions: 4, Replicas: 1}) {
		if cfg.Name == streams.Scores {
			if _, err := js.CreateStream(t.Context(), cfg); err != nil {
				t.Fatal(err)
			}
		}
	}
	return js
}

// heldExact fails unless each board is exactly want in the one process
// holding its group (loaded) and absent from the others.
func heldExact(procs map[*BoardGroups]*Ranker, want map[contest.BoardID][]string) error {
	for id, rows := range want {
		holders := 0
		for g, r := range procs {
			if !g.Held(GroupOf(id, g.N())) {
				if r.Board(id) != nil {
					return fmt.Errorf("board %s kept by a process not holding its group", id)
				}
				continue
			}
			holders++
			if !r.Owns(id) {
				return fmt.Errorf("board %s: group held, not loaded yet", id)
			}
			if err := wantRows(r, id, rows...); err != nil {
				return err
			}
		}
		if holders != 1 {
			return fmt.Errorf("board %s: group held by %d processes", id, holders)
		}
	}
	return nil
}

// upgradeContest is a sum contest with a board per market, and two of its
// boards in different groups of two.
func upgradeContest(t *testing.T) (c *contest.Contest, a, b contest.BoardID) {
	t.Helper()
	now := time.Now().UTC()
	c, err := contest.Parse("t_up.yml", []byte(fmt.Sprintf(`id: t_up
title: upgrade
window: {start: %s, end: %s}
lateness: 90s
scope: {providers: [acme]}
scoring: {model: wager}
leaderboard: {type: sum, divisions: market}
`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))))
	if err != nil {
		t.Fatal(err)
	}
	win, ok := c.CurrentWindow(now)
	if !ok {
		t.Fatal("no window now")
	}
	a = contest.BoardID{Contest: c.ID, Window: win.Start.Unix(), Division: "M0"}
	for i := 1; ; i++ {
		b = contest.BoardID{Contest: c.ID, Window: a.Window, Division: "M" + strconv.Itoa(i)}
		if GroupOf(b, 2) != GroupOf(a, 2) {
			return c, a, b
		}
	}
}

// runUpgradeRanker runs a ranker without sinks (and its groups) until the
// returned stop or the test's end.
func runUpgradeRanker(t *testing.T, js jetstream.JetStream, rules *contest.Registry, g *BoardGroups) (*Ranker, func()) {
	t.Helper()
	r, err := NewRanker(RankerOptions{JS: js, Rules: rules, Groups: g, Tick: 20 * time.Millisecond}, testkit.Logger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	run := func(f func(context.Context) error) {
		go func() {
			defer func() { done <- struct{}{} }()
			if err := f(ctx); err != nil {
				t.Errorf("run: %v", err)
			}
		}()
	}
	n := 1
	if g != nil {
		n = 2
		run(g.Run)
	}
	run(r.Run)
	stop := sync.OnceFunc(func() {
		cancel()
		for ; n > 0; n-- {
			<-done
		}
	})
	t.Cleanup(stop)
	return r, stop
}

// wantRows fails unless board id of r is rows ("user=score", in order).
func wantRows(r *Ranker, id contest.BoardID, rows ...string) error {
	var got []string
	for _, row := range r.Board(id) {
		got = append(got, fmt.Sprintf("%s=%d", row.User, row.Standing.Score))
	}
	if !slices.Equal(got, rows) {
		return fmt.Errorf("board %s: got %v, want %v", id, got, rows)
	}
	return nil
}
