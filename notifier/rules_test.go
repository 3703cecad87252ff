package notifier

import (
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

var (
	subjAlice = streams.LiveUserSubject("c1", "alice")
	subjBob   = streams.LiveUserSubject("c1", "bob")
	subjCarol = streams.LiveUserSubject("c1", "carol")
	subjTop   = streams.LiveTopSubject("c1")
)

func TestOwnChangePushesRankAndTop(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{})
	n.OnTick(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))

	m := rec.wait(subjAlice, 1)[0].rank
	if m.Type != "rank" || m.Contest != "c1" || m.Window != "2025-10-25T18:00:00Z" || m.User != "alice" ||
		m.Pos == nil || *m.Pos != 1 || m.Score != 40 || m.GapToNext != nil || m.Moved != 0 || m.Points != 40 || m.Total != 1 {
		t.Fatalf("rank message %+v", m)
	}
	top := rec.wait(subjTop, 1)[0].top
	if top.Type != "top" || top.Contest != "c1" || top.Window != "2025-10-25T18:00:00Z" || len(top.Top) != 1 ||
		top.Top[0] != (TopRow{Pos: 1, User: "alice", Score: 40}) {
		t.Fatalf("top message %+v", top)
	}
}

func TestWatchedPlayerOvertakenGetsPush(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{})
	n.Watch("c1", "alice")
	waitWatched(t, n, board1, "alice")
	n.OnTick(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))
	rec.wait(subjAlice, 1)

	// Bob overtakes; the ranker reports watched alice's new rank.
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, []string{"bob"}, "alice"))
	m := rec.wait(subjAlice, 2)[1].rank
	if *m.Pos != 2 || m.Moved != -1 || m.Score != 40 || m.GapToNext == nil || *m.GapToNext != 60 || m.Points != 40 {
		t.Fatalf("overtaken message %+v", m)
	}
	if b := rec.wait(subjBob, 1)[0].rank; *b.Pos != 1 || b.Moved != 0 || b.Points != 100 {
		t.Fatalf("bob %+v", b)
	}
	top := rec.wait(subjTop, 2)[1].top
	if len(top.Top) != 2 || top.Top[0].User != "bob" || top.Top[1].User != "alice" {
		t.Fatalf("top %+v", top)
	}
}

func TestUnwatchedPlayerMovedCountsSinceLastPush(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{Interval: 20 * time.Millisecond})
	n.OnTick(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))
	rec.wait(subjAlice, 1)
	// Bob and carol overtake alice; nobody watches her, so the ranker does not
	// report her and she gets nothing.
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 40, gap(60), 40)}, []string{"bob"}))
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "carol", 90, gap(10), 90), rk(3, "alice", 40, gap(50), 40)}, []string{"carol"}))
	rec.wait(subjCarol, 1)
	rec.quiet(subjAlice, 1, 100*time.Millisecond)
	// Her own accrual: she is told she lost two places since her last message.
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "carol", 90, gap(10), 90), rk(3, "alice", 45, gap(45), 5)}, []string{"alice"}))
	m := rec.wait(subjAlice, 2)[1].rank
	if *m.Pos != 3 || m.Moved != -2 || m.Score != 45 || m.Points != 5 || *m.GapToNext != 45 {
		t.Fatalf("alice %+v", m)
	}
	// Carol rises two places to the top: moved +1 (2 -> 1).
	n.OnTick(delta([]aggregator.Rank{rk(1, "carol", 150, nil, 60), rk(2, "bob", 100, gap(50), 100), rk(3, "alice", 45, gap(55), 5)}, []string{"carol"}))
	if c := rec.wait(subjCarol, 2)[1].rank; *c.Pos != 1 || c.Moved != 1 || c.GapToNext != nil || c.Points != 60 {
		t.Fatalf("carol %+v", c)
	}
}

func TestNothingPushedWhenNothingChanged(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{Interval: 10 * time.Millisecond, TopN: 2})
	board := []aggregator.Rank{rk(1, "alice", 90, nil, 90), rk(2, "bob", 50, gap(40), 50), rk(3, "carol", 10, gap(40), 10)}
	n.OnTick(delta(board, []string{"alice", "bob", "carol"}))
	rec.wait(subjTop, 1)
	rec.wait(subjAlice, 1)
	// Carol gains points but stays third: her subject only; the top 2 is the
	// same; watched alice did not move.
	board[2] = rk(3, "carol", 20, gap(30), 10)
	n.OnTick(delta(board, []string{"carol"}, "alice"))
	if c := rec.wait(subjCarol, 2)[1].rank; c.Score != 20 || c.Moved != 0 {
		t.Fatalf("carol %+v", c)
	}
	rec.quiet(subjTop, 1, 100*time.Millisecond)
	rec.quiet(subjAlice, 1, 0)
	rec.quiet(subjBob, 1, 0)
	// A change of last points alone (same score and position) is no change.
	board[0] = rk(1, "alice", 90, nil, 7)
	n.OnTick(delta(board, []string{"alice"}))
	rec.quiet(subjAlice, 1, 100*time.Millisecond)
}

// maxPerSecond is the largest number of messages in any 1s window.
func maxPerSecond(ms []received) int {
	best := 0
	for i := range ms {
		k := 0
		for j := i; j < len(ms) && ms[j].at.Sub(ms[i].at) < time.Second; j++ {
			k++
		}
		best = max(best, k)
	}
	return best
}

func TestCoalescingAtMostFourPerSecondLatestState(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{})
	// 1.5s of ticks every 10ms, alice's score and position changing on each:
	// 150 changes on her subject and on the top subject.
	start := time.Now()
	var last aggregator.Rank
	for i := 0; i < 150; i++ {
		score := int64(100 + i)
		last = rk(1+i%3, "alice", score, nil, 1)
		others := []aggregator.Rank{rk(1, "x", 1000, nil, 0), rk(2, "y", 999, nil, 0), rk(3, "z", 998, nil, 0)}
		others[i%3] = last
		n.OnTick(delta(others, []string{"alice"}))
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	time.Sleep(400 * time.Millisecond) // the last coalesced state goes out
	for _, subj := range []string{subjAlice, subjTop} {
		ms := rec.on(subj)
		if k := maxPerSecond(ms); k > 4 {
			t.Fatalf("%s: %d messages within one second", subj, k)
		}
		for i := 1; i < len(ms); i++ {
			if d := ms[i].at.Sub(ms[i-1].at); d < 200*time.Millisecond {
				t.Fatalf("%s: messages %d and %d only %s apart", subj, i-1, i, d)
			}
		}
		if want := int(elapsed/(275*time.Millisecond)) - 1; len(ms) < want {
			t.Fatalf("%s: only %d messages in %s", subj, len(ms), elapsed)
		}
		if ms[0].at.Sub(start) > 100*time.Millisecond {
			t.Fatalf("%s: first change of a quiet subject waited %s", subj, ms[0].at.Sub(start))
		}
	}
	// The last message carries the latest state.
	ms := rec.on(subjAlice)
	if m := ms[len(ms)-1].rank; m.Score != last.Score || *m.Pos != last.Pos {
		t.Fatalf("last message %+v, latest state %+v", m, last)
	}
}

func TestCoalescedMovedAddsUp(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{Interval: 300 * time.Millisecond})
	n.OnTick(delta([]aggregator.Rank{rk(5, "alice", 10, gap(1), 10)}, []string{"alice"}))
	rec.wait(subjAlice, 1)
	// Three climbs inside one interval: one message, pos 2, moved +3.
	for pos := 4; pos >= 2; pos-- {
		n.OnTick(delta([]aggregator.Rank{rk(pos, "alice", int64(20-pos), gap(1), 1)}, []string{"alice"}))
		time.Sleep(20 * time.Millisecond)
	}
	ms := rec.wait(subjAlice, 2)
	rec.quiet(subjAlice, 2, 400*time.Millisecond)
	if m := ms[1].rank; *m.Pos != 2 || m.Moved != 3 || m.Score != 18 {
		t.Fatalf("coalesced %+v", m)
	}
	// Up and back down inside one interval: no message at all.
	n.OnTick(delta([]aggregator.Rank{rk(5, "alice", 10, gap(1), 10)}, []string{"alice"}))
	rec.wait(subjAlice, 3)
	n.OnTick(delta([]aggregator.Rank{rk(4, "alice", 11, gap(1), 1)}, []string{"alice"}))
	n.OnTick(delta([]aggregator.Rank{rk(5, "alice", 10, gap(1), 1)}, []string{"alice"}))
	rec.quiet(subjAlice, 3, 500*time.Millisecond)
}

func TestTwoWindowsShareTheSubjectRate(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{})
	w2 := contest.BoardID{Contest: "c1", Window: board1.Window + 3600}
	for i := 0; i < 40; i++ {
		d1 := delta([]aggregator.Rank{rk(1, "alice", int64(10+i), nil, 1)}, []string{"alice"})
		d2 := delta([]aggregator.Rank{rk(1, "alice", int64(500+i), nil, 1)}, []string{"alice"})
		d2[0].ID = w2
		n.OnTick(append(d1, d2...))
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond)
	ms := rec.on(subjAlice)
	if k := maxPerSecond(ms); k > 4 {
		t.Fatalf("%d messages within one second", k)
	}
	// Both windows' latest states went out.
	seen := map[string]int64{}
	for _, m := range ms {
		seen[m.rank.Window] = m.rank.Score
	}
	if seen[WindowString(board1.Window)] != 49 || seen[WindowString(w2.Window)] != 539 {
		t.Fatalf("last scores per window %v", seen)
	}
}

func TestWatchCountsAndNATSInterest(t *testing.T) {
	st := embedded(t)
	interest := []streams.Interest{{Contest: "*", User: "dave"}, {Contest: "c2", User: "erin"}}
	n := startNotifier(t, st.NC, Options{Interest: staticSource(interest), InterestEvery: 20 * time.Millisecond})
	waitWatched(t, n, board1, "dave")
	c2 := contest.BoardID{Contest: "c2"}
	waitWatched(t, n, c2, "erin")
	waitWatched(t, n, c2, "dave")
	for _, u := range n.Watched(board1) {
		if u == "erin" {
			t.Fatal("erin watches c2 only")
		}
	}
	n.Watch("c1", "alice")
	n.Watch("c1", "alice")
	n.Unwatch("c1", "alice")
	waitWatched(t, n, board1, "alice")
	n.Unwatch("c1", "alice")
	deadline := time.Now().Add(5 * time.Second)
	for has(n.Watched(board1), "alice") {
		if time.Now().After(deadline) {
			t.Fatal("alice still watched after her last Unwatch")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Options{}, nil, nil); err == nil {
		t.Fatal("no publisher accepted")
	}
	st := embedded(t)
	if _, err := New(Options{Publisher: st.NC, Interval: -1}, nil, nil); err == nil {
		t.Fatal("negative interval accepted")
	}
}

func TestOvertakenPushesSlowerThanOwnChanges(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	n := startNotifier(t, st.NC, Options{OvertakenInterval: 600 * time.Millisecond})
	n.OnTick(delta([]aggregator.Rank{rk(1, "alice", 10, nil, 10)}, []string{"alice"}))
	rec.wait(subjAlice, 1)
	// Overtaken again and again for 1.5s: one message per 600ms.
	start := time.Now()
	for i := 0; time.Since(start) < 1500*time.Millisecond; i++ {
		n.OnTick(delta([]aggregator.Rank{rk(2+i, "alice", 10, gap(1), 10)}, []string{"x"}, "alice"))
		time.Sleep(20 * time.Millisecond)
	}
	ms := rec.on(subjAlice)
	for i := 1; i < len(ms); i++ {
		if d := ms[i].at.Sub(ms[i-1].at); d < 550*time.Millisecond {
			t.Fatalf("overtaken messages %s apart", d)
		}
	}
	if len(ms) < 3 {
		t.Fatalf("%d messages", len(ms))
	}
	// Her own points while an overtaken update waits: 275ms after the last.
	time.Sleep(50 * time.Millisecond)
	n.OnTick(delta([]aggregator.Rank{rk(3, "alice", 99, gap(1), 89)}, []string{"x"}, "alice"))
	n.OnTick(delta([]aggregator.Rank{rk(2, "alice", 109, gap(1), 10)}, []string{"alice"}))
	k := len(ms)
	got := rec.wait(subjAlice, k+1)
	if d := got[k].at.Sub(got[k-1].at); d > 400*time.Millisecond {
		t.Fatalf("own change waited %s after the last message", d)
	}
	if m := got[k].rank; m.Score != 109 || m.Points != 10 {
		t.Fatalf("own change %+v", m)
	}
}
