// Package sinktest is the one test suite every aggregator.Sink passes (the
// contract is in aggregator/ranker_sink.go). A sink's test calls Run with a
// factory that returns a fresh sink and a way to observe what it shows.
package sinktest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
)

// Observe returns the top rows (pos, user, score) the sink shows of board
// id now, as its readers would see them (nil: the board is unknown there).
type Observe func(ctx context.Context, id contest.BoardID) ([]aggregator.Rank, error)

// Factory makes a fresh sink for one subtest; boards are unique per call.
type Factory func(t *testing.T) (aggregator.Sink, Observe)

// Wait bounds each wait for a sink to show a write.
const Wait = 10 * time.Second

// Run runs the suite against the sinks newSink makes.
func Run(t *testing.T, newSink Factory) {
	t.Run("DeltasInTickOrder", func(t *testing.T) { deltasInOrder(t, newSink) })
	t.Run("FullReplacesBoard", func(t *testing.T) { fullReplaces(t, newSink) })
	t.Run("BatchBelongsToRanker", func(t *testing.T) { batchOwnership(t, newSink) })
	t.Run("CancelledContext", func(t *testing.T) { cancelled(t, newSink) })
	t.Run("SameBatchTwice", func(t *testing.T) { idempotent(t, newSink) })
	t.Run("SeveralBoards", func(t *testing.T) { severalBoards(t, newSink) })
}

// model is a board kept the way the ranker keeps it (a board.Tree), from
// which the suite builds the batches a ranker would send.
type model struct {
	id   contest.BoardID
	lb   contest.Leaderboard
	tree *board.Tree
	st   map[string]contest.Standing
}

var seq int64

func newModel(t *testing.T) *model {
	seq++
	lb := contest.Leaderboard{Type: contest.TypeSum, Order: "desc"}
	return &model{id: contest.BoardID{Contest: "sinktest_" + sanitize(t.Name()), Window: time.Now().Unix()*1000 + seq, Division: "d"},
		lb: lb, tree: board.New(lb.KeyWords()), st: map[string]contest.Standing{}}
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// change applies scores (absent user: removed when score < 0) and returns
// the board's delta.
func (m *model) change(scores map[string]int64) aggregator.BoardDelta {
	d := m.header()
	users := make([]string, 0, len(scores))
	for u := range scores {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		sc := scores[u]
		if sc < 0 {
			old, ok := m.tree.Delete(u)
			delete(m.st, u)
			if ok {
				d.Changed = append(d.Changed, aggregator.UserDelta{User: u, Removed: true, OldKey: old})
			}
			continue
		}
		st := contest.Standing{Score: sc, Rounds: 1, Finish: -1, LastPoints: sc}
		key := m.lb.SortKey(st, nil)
		old, _ := m.tree.Upsert(u, key)
		m.st[u] = st
		d.Changed = append(d.Changed, aggregator.UserDelta{User: u, Standing: st, Key: key, OldKey: slices.Clone(old)})
	}
	m.ranks(&d)
	return d
}

// full returns the board in full.
func (m *model) full() aggregator.BoardDelta {
	d := m.header()
	d.Full = true
	d.Entries = func(yield func(string, []int64) bool) {
		m.tree.Each(func(_ int, u string, k []int64) bool { return yield(u, k) })
	}
	m.ranks(&d)
	return d
}

func (m *model) header() aggregator.BoardDelta {
	return aggregator.BoardDelta{ID: m.id, NWords: m.lb.KeyWords(), Order: m.lb.Order}
}

func (m *model) ranks(d *aggregator.BoardDelta) {
	d.Total = m.tree.Len()
	d.Top = m.top()
	d.Ranks = map[string]aggregator.Rank{}
	for _, u := range d.Changed {
		if pos, ok := m.tree.Rank(u.User); ok {
			d.Ranks[u.User] = aggregator.Rank{Pos: pos, User: u.User, Score: m.st[u.User].Score, LastPoints: m.st[u.User].LastPoints}
		}
	}
}

// top is what every sink must show: positions, users, scores.
func (m *model) top() []aggregator.Rank {
	var out []aggregator.Rank
	m.tree.Range(1, 10, func(pos int, u string, k []int64) bool {
		out = append(out, aggregator.Rank{Pos: pos, User: u, Score: m.lb.ScoreFromKey(k[0])})
		return true
	})
	return out
}

func batch(ds ...aggregator.BoardDelta) *aggregator.Batch {
	return &aggregator.Batch{At: time.Now().UTC(), Boards: ds}
}

func write(t *testing.T, s aggregator.Sink, b *aggregator.Batch) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	if err := s.Write(ctx, b); err != nil {
		t.Fatalf("%s: write: %v", s.Name(), err)
	}
}

// shows waits until the sink shows m's top.
func shows(t *testing.T, obs Observe, m *model) {
	t.Helper()
	want := m.top()
	deadline := time.Now().Add(Wait)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), Wait)
		got, err := obs(ctx, m.id)
		cancel()
		switch {
		case err != nil:
			last = err
		case equalTop(got, want):
			return
		default:
			last = fmt.Errorf("shows %v, want %v", got, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("board %s: %v", m.id, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func equalTop(got, want []aggregator.Rank) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Pos != want[i].Pos || got[i].User != want[i].User || got[i].Score != want[i].Score {
			return false
		}
	}
	return true
}

func deltasInOrder(t *testing.T, newSink Factory) {
	s, obs := newSink(t)
	m := newModel(t)
	write(t, s, batch(m.change(map[string]int64{"u1": 10, "u2": 20, "u3": 30, "u4": 40, "u5": 50})))
	shows(t, obs, m)
	write(t, s, batch(m.change(map[string]int64{"u2": 100, "u4": -1, "u6": 35})))
	write(t, s, batch(m.change(map[string]int64{"u1": 60, "u6": -1})))
	shows(t, obs, m)
}

func fullReplaces(t *testing.T, newSink Factory) {
	s, obs := newSink(t)
	m := newModel(t)
	write(t, s, batch(m.change(map[string]int64{"u1": 10, "u2": 20, "u3": 30})))
	shows(t, obs, m)
	// The ranker's board moved on while the sink missed it (another
	// holder, a failed write): a Full board is all the sink may show.
	m.tree = board.New(m.lb.KeyWords())
	clear(m.st)
	m.change(map[string]int64{"v1": 5, "v2": 7})
	write(t, s, batch(m.full()))
	shows(t, obs, m)
	write(t, s, batch(m.change(map[string]int64{"v1": 9})))
	shows(t, obs, m)
}

// scribble overwrites everything a batch points to.
func scribble(b *aggregator.Batch) {
	for i := range b.Boards {
		d := &b.Boards[i]
		for j := range d.Changed {
			u := &d.Changed[j]
			u.User = "scribbled"
			u.Standing.Score = -77
			for k := range u.Key {
				u.Key[k] = 1 << 40
			}
		}
		for j := range d.Top {
			d.Top[j].User, d.Top[j].Score = "scribbled", -77
		}
		clear(d.Ranks)
	}
}

func deepCopy(b *aggregator.Batch) *aggregator.Batch {
	c := &aggregator.Batch{At: b.At}
	for _, d := range b.Boards {
		e := d
		e.Entries = nil
		e.Changed = nil
		for _, u := range d.Changed {
			u.Key, u.OldKey = slices.Clone(u.Key), slices.Clone(u.OldKey)
			e.Changed = append(e.Changed, u)
		}
		e.Top = slices.Clone(d.Top)
		e.Ranks = map[string]aggregator.Rank{}
		for k, v := range d.Ranks {
			e.Ranks[k] = v
		}
		c.Boards = append(c.Boards, e)
	}
	return c
}

func batchOwnership(t *testing.T, newSink Factory) {
	s, obs := newSink(t)
	m := newModel(t)
	b := batch(m.change(map[string]int64{"u1": 10, "u2": 20, "u3": 30}))
	before := deepCopy(b)
	write(t, s, b)
	if after := deepCopy(b); !reflect.DeepEqual(before, after) {
		t.Fatalf("%s: Write modified the batch", s.Name())
	}
	scribble(b)
	// A later write is the barrier: once it shows, an earlier write that
	// kept the batch would show the scribbles.
	m2 := newModel(t)
	write(t, s, batch(m2.change(map[string]int64{"w1": 1})))
	shows(t, obs, m2)
	shows(t, obs, m)
}

func cancelled(t *testing.T, newSink Factory) {
	s, obs := newSink(t)
	m := newModel(t)
	b := batch(m.change(map[string]int64{"u1": 10, "u2": 20}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Write(ctx, b)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("%s: write with a cancelled context: %v, want an error wrapping context.Canceled", s.Name(), err)
	}
	// The ranker then sends the board in full.
	write(t, s, batch(m.full()))
	shows(t, obs, m)
}

func idempotent(t *testing.T, newSink Factory) {
	s, obs := newSink(t)
	m := newModel(t)
	write(t, s, batch(m.change(map[string]int64{"u1": 10, "u2": 20})))
	b := batch(m.change(map[string]int64{"u1": 30, "u3": 5}))
	write(t, s, b)
	write(t, s, b)
	shows(t, obs, m)
	f := batch(m.full())
	write(t, s, f)
	write(t, s, f)
	shows(t, obs, m)
}

func severalBoards(t *testing.T, newSink Factory) {
	s, obs := newSink(t)
	a, b := newModel(t), newModel(t)
	write(t, s, batch(a.change(map[string]int64{"u1": 1, "u2": 2}), b.change(map[string]int64{"x1": 9})))
	write(t, s, batch(b.full(), a.change(map[string]int64{"u3": 3})))
	shows(t, obs, a)
	shows(t, obs, b)
}
