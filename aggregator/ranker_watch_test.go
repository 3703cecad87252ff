package aggregator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// plainSink records the boards it took; it wants no ranks (like the read
// model).
type plainSink struct {
	mu     sync.Mutex
	boards []BoardDelta
}

func (s *plainSink) Name() string { return "plain" }
func (s *plainSink) Write(_ context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boards = append(s.boards, b.Boards...)
	return nil
}

// wrote reports whether a full board or a change of user was written.
func (s *plainSink) wrote(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.boards {
		if d.Full {
			return true
		}
		for _, u := range d.Changed {
			if u.User == user {
				return true
			}
		}
	}
	return false
}

// ranksOnly counts the ranks-only boards it took.
func (s *plainSink) ranksOnly() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.boards {
		if d.RanksOnly {
			n++
		}
	}
	return n
}

// TestRankerReportsNewlyWatchedOnQuietBoard (issue 9 item 7, the cause of
// TestPushToAnonymousSubscribersAcrossProcesses's stale pushes): the
// ranker's process learnt of a subscriber (interest poll, watch bucket)
// only after the ticks that overtook them, and the board then stayed quiet,
// so no later tick reported their rank and their subject kept a stale
// position. Now a user who becomes watched on a quiet board is reported
// once, without any new standing: again after being unwatched and watched
// again; not when the list changes without adding anyone on the board; and
// never to a sink that wants no ranks.
func TestRankerReportsNewlyWatchedOnQuietBoard(t *testing.T) {
	js := scoresOnly(t)
	ctx := t.Context()
	c, id, _ := upgradeContest(t)
	var watched atomic.Pointer[[]string]
	watched.Store(&[]string{})
	setWatched := func(users ...string) { watched.Store(&users) }
	sink, plain := &recordSink{}, &plainSink{}
	m := NewMetrics(nil)
	r, err := NewRanker(RankerOptions{JS: js, Rules: contest.NewRegistry([]*contest.Contest{c}), Sinks: []Sink{sink, plain},
		Tick: 20 * time.Millisecond, Metrics: m, Watched: func(contest.BoardID) []string { return *watched.Load() }}, testkit.Logger())
	if err != nil {
		t.Fatal(err)
	}
	runRanker(t, ctx, r)
	for i, u := range []string{"w", "a", "b"} {
		sm := ScoreMsg{Standing: contest.Standing{Score: int64(10 * (i + 1)), Rounds: 1}}
		if _, err := js.Publish(ctx, scoreSubject(1, id, u), sm.encode(nil)); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() error { return wantRows(r, id, "b=30", "a=20", "w=10") })
	report := func(n int, user string) (map[string]Rank, int) { t.Helper(); return sink.report(t, n, user) }
	// Every standing is out: b's, the last, in a change or a full board.
	testkit.Eventually(t, 10*time.Second, func() error {
		if !plain.wrote("b") {
			return errors.New("b not written yet")
		}
		return nil
	})
	n := sink.setFail(false)
	setWatched("w")
	d, n := report(n, "w")
	if len(d) != 1 || d["w"].Pos != 3 || d["w"].Score != 10 || d["w"].GapToNext == nil || *d["w"].GapToNext != 10 {
		t.Fatalf("newly watched w on a quiet board: %+v", d)
	}
	// An unchanged list, one that only adds a user not on the board:
	// nothing to report (absence: a few ticks' time, no event to wait for).
	setWatched("w", "ghost")
	time.Sleep(300 * time.Millisecond)
	if extra := sink.since(n); len(extra) != 0 {
		t.Fatalf("deltas without anyone newly watched on the board: %+v", extra)
	}
	// w lost (a poll that missed a server) while a is found: a alone is
	// reported; then w found again: w alone.
	setWatched("ghost", "a")
	d, n = report(n, "a")
	if len(d) != 1 || d["a"].Pos != 2 {
		t.Fatalf("a newly watched: %+v", d)
	}
	setWatched("a", "ghost", "w")
	d, _ = report(n, "w")
	if len(d) != 1 || d["w"].Pos != 3 {
		t.Fatalf("w watched again: %+v", d)
	}
	var mc dto.Metric
	if err := m.Sinks.WatchedReports.Write(&mc); err != nil || mc.GetCounter().GetValue() != 3 {
		t.Fatalf("rankstream_ranker_watched_reports_total %v (%v), want 3", mc.GetCounter().GetValue(), err)
	}
	if got := plain.ranksOnly(); got != 0 {
		t.Fatalf("a sink without ranks got %d ranks-only boards", got)
	}
}

// report waits for a delta after the first n that reports user and returns
// it with the count of deltas taken.
func (s *recordSink) report(t *testing.T, n int, user string) (map[string]Rank, int) {
	t.Helper()
	var got map[string]Rank
	testkit.Eventually(t, 10*time.Second, func() error {
		for _, d := range s.since(n) {
			if _, ok := d[user]; ok {
				got = d
				return nil
			}
		}
		return fmt.Errorf("no delta reports %s yet", user)
	})
	return got, s.setFail(false)
}
