package aggregator_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// countSink counts deliveries and whether CaughtUp was called.
type countSink struct {
	n        atomic.Int64
	caughtUp atomic.Bool
}

func (s *countSink) Deliver(context.Context, *aggregator.Delivery) bool { s.n.Add(1); return true }
func (s *countSink) CaughtUp()                                          { s.caughtUp.Store(true) }

// TestLaneCaughtUpWhenLastEventDeleted: the stream's last message deleted
// (an operator removing a bad event), the whole-stream lane still reports
// CaughtUp after the events it holds. Before, it waited for the deleted
// sequence, that is for the next event to arrive.
func TestLaneCaughtUpWhenLastEventDeleted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 0; i < 5; i++ {
		if _, err := st.JS.Publish(ctx, fmt.Sprintf("events.acme.u_%d", i), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := st.JS.Stream(ctx, streams.Events)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMsg(ctx, 5); err != nil {
		t.Fatal(err)
	}
	sink := &countSink{}
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	go func() { _ = aggregator.Lane{JS: st.JS, Partition: aggregator.AllPartitions, From: 1}.Run(lctx, sink) }()
	testkit.Eventually(t, 10*time.Second, func() error {
		if !sink.caughtUp.Load() {
			return fmt.Errorf("not caught up after %d events", sink.n.Load())
		}
		return nil
	})
	if got := sink.n.Load(); got != 4 {
		t.Fatalf("caught up after %d events, want the 4 held", got)
	}
}
