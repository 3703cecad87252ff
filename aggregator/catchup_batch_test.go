package aggregator

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDispatcherBatchesKeepOrder feeds a dispatcher random partitions
// through a catch-up and past it: every worker gets exactly its events, in
// stream order, all of the catch-up's before its caughtUp marker and the
// later ones one by one after it, as per-event dispatch gave them.
func TestDispatcherBatchesKeepOrder(t *testing.T) {
	for _, tc := range []struct{ workers, catchup, live int }{
		{1, 0, 10}, {2, 1, 3}, {2, catchupBatch, 5}, {3, 3*catchupBatch + 17, 100}, {4, 20000, 300},
	} {
		s := &Scorer{m: NewMetrics(prometheus.NewRegistry()), workers: make([]*worker, tc.workers)}
		for i := range s.workers {
			s.workers[i] = &worker{s: s, id: i, in: make(chan inMsg, workerQueue)}
		}
		d := &dispatcher{s: s, b: s.batcher()}
		rng := rand.New(rand.NewPCG(uint64(tc.catchup), 7))
		want := make([][]uint64, tc.workers) // per worker: seqs, 0 for the marker
		got := make([][]uint64, tc.workers)
		done := make(chan struct{})
		for i, w := range s.workers {
			go func() {
				defer func() { done <- struct{}{} }()
				for im := range w.in {
					switch {
					case im.batch != nil:
						if len(im.batch) > catchupBatch {
							t.Errorf("batch of %d", len(im.batch))
						}
						for _, e := range im.batch {
							got[i] = append(got[i], e.Seq)
						}
						w.batches.giveBack(i, im.batch)
					case im.caughtUp:
						got[i] = append(got[i], 0)
					default:
						got[i] = append(got[i], im.Seq)
					}
				}
			}()
		}
		ctx := context.Background()
		for seq := uint64(1); seq <= uint64(tc.catchup+tc.live); seq++ {
			if seq == uint64(tc.catchup)+1 || tc.catchup == 0 && seq == 1 {
				d.CaughtUp()
				for i := range want {
					want[i] = append(want[i], 0)
				}
			}
			dl := Delivery{Seq: seq, Partition: rng.IntN(16), SubjectOK: rng.IntN(50) > 0}
			wi := 0
			if dl.SubjectOK {
				wi = dl.Partition % tc.workers
			}
			want[wi] = append(want[wi], seq)
			if !d.Deliver(ctx, &dl) {
				t.Fatal("Deliver false")
			}
		}
		for _, w := range s.workers {
			close(w.in)
		}
		for range s.workers {
			<-done
		}
		for i := range want {
			if len(got[i]) != len(want[i]) {
				t.Fatalf("%+v worker %d: %d messages, want %d", tc, i, len(got[i]), len(want[i]))
			}
			for j := range want[i] {
				if got[i][j] != want[i][j] {
					t.Fatalf("%+v worker %d message %d: seq %d, want %d (0: caughtUp)", tc, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

// TestDispatcherBatchesBounded: a worker that takes nothing holds the
// dispatcher at catchupBatches full batches (the per-event queue's bound),
// and an ended ctx frees it.
func TestDispatcherBatchesBounded(t *testing.T) {
	s := &Scorer{m: NewMetrics(prometheus.NewRegistry()), workers: []*worker{{id: 0, in: make(chan inMsg, workerQueue)}}}
	s.workers[0].s = s
	d := &dispatcher{s: s, b: s.batcher()}
	ctx, cancel := context.WithCancel(context.Background())
	delivered := make(chan int)
	go func() {
		n := 0
		for {
			dl := Delivery{Seq: uint64(n + 1)}
			if !d.Deliver(ctx, &dl) {
				delivered <- n
				return
			}
			n++
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.workers[0].in) < catchupBatches && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := len(s.workers[0].in); got != catchupBatches {
		t.Fatalf("%d batches queued, want %d", got, catchupBatches)
	}
	cancel()
	if n := <-delivered; n != catchupBatches*catchupBatch {
		t.Fatalf("%d events taken before ctx ended, want %d", n, catchupBatches*catchupBatch)
	}
}
