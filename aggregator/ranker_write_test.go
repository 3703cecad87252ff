package aggregator

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// gateSink hands every batch it is given to the test (a copy of what it
// said at the start of Write) and holds its Write until the test answers;
// it fails the test if two writes overlap or a batch changed while it was
// held.
type gateSink struct {
	t       *testing.T
	got     chan gateWrite
	answer  chan error
	writing atomic.Int32
}

type gateWrite struct {
	full bool
	rows map[string]int64 // user → score of the changes
	keys map[string][]int64
}

func (g *gateSink) Name() string { return "gate" }

func (g *gateSink) Write(ctx context.Context, b *Batch) error {
	if g.writing.Add(1) != 1 {
		g.t.Error("two sink writes at once")
	}
	defer g.writing.Add(-1)
	w := snapshotGate(b)
	select {
	case g.got <- w:
	case <-ctx.Done():
		return ctx.Err()
	}
	var err error
	select {
	case err = <-g.answer:
	case <-ctx.Done():
		return ctx.Err()
	}
	if now := snapshotGate(b); fmt.Sprint(now) != fmt.Sprint(w) {
		g.t.Errorf("the batch changed during its write: %v, then %v", w, now)
	}
	return err
}

func snapshotGate(b *Batch) gateWrite {
	w := gateWrite{rows: map[string]int64{}, keys: map[string][]int64{}}
	for _, d := range b.Boards {
		w.full = w.full || d.Full
		for _, u := range d.Changed {
			w.rows[u.User] = u.Standing.Score
			w.keys[u.User] = slices.Clone(u.Key)
		}
	}
	return w
}

// TestRankerAppliesWhileSinksWrite: the Run loop writes a tick's sinks off
// its goroutine (ranker_write.go). While a write is held, the ranker still
// applies SCORES (before, it waited for the write in place: standings that
// arrived meanwhile waited for it), the held batch does not change under the
// sink, no second write starts, and the next tick carries what was applied
// meanwhile. A failed write is followed by the board in full.
func TestRankerAppliesWhileSinksWrite(t *testing.T) {
	js := scoresOnly(t)
	ctx := t.Context()
	c, board, _ := upgradeContest(t)
	gate := &gateSink{t: t, got: make(chan gateWrite), answer: make(chan error)}
	r, err := NewRanker(RankerOptions{JS: js, Rules: contest.NewRegistry([]*contest.Contest{c}), Sinks: []Sink{gate},
		Tick: 20 * time.Millisecond}, testkit.Logger())
	if err != nil {
		t.Fatal(err)
	}
	var src uint64
	pub := func(user string, score int64) uint64 {
		t.Helper()
		src++
		sm := ScoreMsg{Standing: contest.Standing{Score: score, Rounds: 1}, SrcSeq: src, EventTime: time.Now()}
		ack, err := js.Publish(ctx, scoreSubject(1, board, user), sm.encode(nil))
		if err != nil {
			t.Fatal(err)
		}
		return ack.Sequence
	}
	pub("u0", 1) // on the board before the ranker starts: its first write is in full
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	defer func() { cancel(); <-done }()
	next := func() gateWrite {
		t.Helper()
		select {
		case w := <-gate.got:
			return w
		case <-time.After(10 * time.Second):
			t.Fatal("no sink write")
		}
		return gateWrite{}
	}
	first := next() // going live: every board in full
	gate.answer <- nil
	if !first.full {
		t.Fatalf("first write not in full: %v", first)
	}
	pub("u1", 10)
	held := next()
	if held.full || held.rows["u1"] != 10 {
		t.Fatalf("held write %v, want u1=10", held)
	}
	pub("u2", 20)
	last := pub("u1", 15)
	testkit.Eventually(t, 10*time.Second, func() error {
		if p := r.Processed(); p < last {
			return fmt.Errorf("ranker applied up to %d while the sink wrote, published %d", p, last)
		}
		return wantRows(r, board, "u2=20", "u1=15", "u0=1")
	})
	gate.answer <- nil
	w := next()
	if w.full || w.rows["u1"] != 15 || w.rows["u2"] != 20 {
		t.Fatalf("write after the held one: %v, want u1=15 u2=20", w)
	}
	gate.answer <- fmt.Errorf("refused")
	pub("u3", 5)
	if w := next(); !w.full {
		t.Fatalf("write after a failed one not in full: %v", w)
	}
	gate.answer <- nil
}
