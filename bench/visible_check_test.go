package bench

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/readmodel"
)

// TestFinalScores: the bench board's expected final state, from an engine,
// is the plain sum of the bench contest's points per user (the sorted-set
// baseline's formula) over the same events.
func TestFinalScores(t *testing.T) {
	msgs := genMsgs(3000)
	want := finalScores(t, msgs)
	sum := map[string]int64{}
	for _, m := range msgs {
		ev, err := event.Parse(m.body)
		if err != nil {
			t.Fatal(err)
		}
		sum[ev.UserID] += int64(zsetPoints(&ev))
	}
	if len(want) != len(sum) {
		t.Fatalf("%d users on the board, %d in the events", len(want), len(sum))
	}
	for u, s := range sum {
		if want[u] != s {
			t.Errorf("user %s: engine %d, sum of points %d", u, want[u], s)
		}
	}
}

// TestVisibleWaiter runs the NATS door as the benchmark does on a few
// events: the waiter returns only once Redis holds every final score, and
// never for a state the pipeline cannot reach.
func TestVisibleWaiter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msgs := genMsgs(3000)
	want := finalScores(t, msgs)
	p := startApp(ctx, t)
	defer p.cleanup()
	a, rdb, prefix := p.a, p.rdb, p.prefix
	nc, err := nats.Connect(a.Streams.URL(), nats.UserInfo("acme", benchSecret))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	rd := readmodel.NewReader(rdb, prefix)
	start := time.Now()
	publishAll(ctx, t, js, msgs)
	v := &visibleWaiter{a: a, rd: rd, want: want, events: uint64(len(msgs))}
	if _, _, err := v.wait(ctx, start); err != nil {
		t.Fatal(err)
	}
	ids := a.Ranker.BoardIDs()
	rows, total, _, err := rd.Top(ctx, ids[0], 0, len(want)+1)
	if err != nil || int(total) != len(want) {
		t.Fatalf("board of %d entries (%v), want %d", total, err, len(want))
	}
	for _, r := range rows {
		if want[r.User] != r.Score {
			t.Errorf("user %s: %d in Redis, want %d", r.User, r.Score, want[r.User])
		}
	}
	// A final state off by one point is never reached: the waiter keeps
	// waiting until its context ends.
	off := map[string]int64{}
	for u, s := range want {
		off[u] = s
	}
	off[rows[0].User]++
	sctx, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer scancel()
	bad := &visibleWaiter{a: a, rd: rd, want: off, events: uint64(len(msgs))}
	if _, _, err := bad.wait(sctx, start); err == nil {
		t.Fatal("waiter returned for a state Redis does not hold")
	}
}
