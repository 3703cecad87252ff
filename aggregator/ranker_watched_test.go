package aggregator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// recordSink keeps the Ranks of every board delta it took; while fail is
// set its writes fail.
type recordSink struct {
	mu    sync.Mutex
	fail  bool
	fails int // writes that failed
	ranks []map[string]Rank
}

func (s *recordSink) Name() string     { return "record" }
func (s *recordSink) WantsRanks() bool { return true }
func (s *recordSink) Write(_ context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		s.fails++
		return errors.New("failing on purpose")
	}
	for _, d := range b.Boards {
		m := map[string]Rank{}
		for u, r := range d.Ranks {
			m[u] = r
		}
		s.ranks = append(s.ranks, m)
	}
	return nil
}

// since returns the deltas taken after the first n.
func (s *recordSink) since(n int) []map[string]Rank {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]Rank(nil), s.ranks[min(n, len(s.ranks)):]...)
}

func (s *recordSink) setFail(f bool) (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
	return len(s.ranks)
}

// A watched user's rank is in a tick's delta when it differs from the last
// one reported (first sight, overtaken), not on ticks where only others
// changed without moving it (the notifier keeps a deferred overtaken update
// itself: notifier/deferred_test.go); after a failed write it is reported
// again.
func TestRankerReportsWatchedRankOnChange(t *testing.T) {
	sink, pub := watchedRanker(t, 0)
	// seen waits for a delta after the first n in which changed is reported
	// and returns w's rank in it (ok false: not reported).
	seen := func(n int, changed string) (Rank, bool) {
		t.Helper()
		var w Rank
		var ok bool
		testkit.Eventually(t, 10*time.Second, func() error {
			for _, d := range sink.since(n) {
				if _, in := d[changed]; in {
					w, ok = d["w"]
					return nil
				}
			}
			return fmt.Errorf("no delta with %s yet", changed)
		})
		return w, ok
	}
	pub("w", 50)
	if w, ok := seen(0, "w"); !ok || w.Pos != 1 {
		t.Fatalf("first report of w: %+v %v", w, ok)
	}
	n := sink.setFail(false)
	pub("a", 10)
	if w, ok := seen(n, "a"); ok {
		t.Fatalf("w unchanged at 1 was reported again: %+v", w)
	}
	n = sink.setFail(false)
	pub("a", 100)
	if w, ok := seen(n, "a"); !ok || w.Pos != 2 {
		t.Fatalf("w overtaken: %+v %v", w, ok)
	}
	// A failed write: the board comes in full next, with w although w did
	// not move since its last report.
	sink.setFail(true)
	pub("a", 110)
	testkit.Eventually(t, 10*time.Second, func() error {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		if sink.fails == 0 {
			return errors.New("no failed write yet")
		}
		return nil
	})
	n = sink.setFail(false)
	if w, ok := seen(n, "w"); !ok || w.Pos != 2 {
		t.Fatalf("after a failed write, w: %+v %v", w, ok)
	}
}

// runRanker runs r until the test ends.
func runRanker(t *testing.T, ctx context.Context, r *Ranker) {
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// watchedRanker runs a ranker (20 ms ticks, overtaken watched users spaced
// by every) over one contest whose only watched user is "w", and returns its
// sink and a publisher of that contest's standings.
func watchedRanker(t *testing.T, every time.Duration) (*recordSink, func(user string, score int64)) {
	t.Helper()
	js := scoresOnly(t)
	ctx := t.Context()
	c, id, _ := upgradeContest(t)
	sink := &recordSink{}
	r, err := NewRanker(RankerOptions{JS: js, Rules: contest.NewRegistry([]*contest.Contest{c}), Sinks: []Sink{sink},
		Tick: 20 * time.Millisecond, WatchedEvery: every, Watched: func(contest.BoardID) []string { return []string{"w"} }}, testkit.Logger())
	if err != nil {
		t.Fatal(err)
	}
	runRanker(t, ctx, r)
	return sink, func(user string, score int64) {
		t.Helper()
		sm := ScoreMsg{Standing: contest.Standing{Score: score, Rounds: 1}}
		if _, err := js.Publish(ctx, scoreSubject(1, id, user), sm.encode(nil)); err != nil {
			t.Fatal(err)
		}
	}
}
