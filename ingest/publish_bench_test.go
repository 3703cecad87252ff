package ingest

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publishFutures is how publish stored a batch before it read the acks
// from an inbox of its own: jetstream.PublishMsgAsync per message, then
// each future. Kept as the reference of BenchmarkPublish.
func (h *HTTP) publishFutures(ctx context.Context, msgs []*nats.Msg) (accepted, dups int, err error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := h.js.PublishMsgAsync(m, jetstream.WithStallWait(h.publishTimeout))
		if err != nil {
			return 0, 0, err
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			if ack.Duplicate {
				dups++
			} else {
				accepted++
			}
		case err := <-f.Err():
			return 0, 0, err
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		}
	}
	return accepted, dups, nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPublish stores batches of 500 new events (the HTTP door's
// batch) and waits for their acks, with publish and with the futures it
// replaced. cpu_us/ev is the process's CPU (the embedded server's storing
// included, the same for both) per event: steadier than ns/op on a loaded
// machine.
func BenchmarkPublish(b *testing.B) {
	for _, v := range []struct {
		name string
		pub  func(*HTTP, context.Context, []*nats.Msg) (int, int, error)
	}{
		{"inbox", (*HTTP).publish},
		{"futures", (*HTTP).publishFutures},
	} {
		b.Run(v.name, func(b *testing.B) {
			cfg := eventsStream(nil)
			e := newEnv(b, &cfg)
			const batch = 500
			body := []byte(`{"event_id":"x","ts":"2025-10-25T18:29:00Z","type":"round_end","user_id":"u","game":{"id":"g","provider":"acme"},"bet":{"amount_minor":100,"currency":"EUR"}}`)
			ctx := context.Background()
			c0 := processCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				msgs := make([]*nats.Msg, batch)
				for j := range msgs {
					id := strconv.Itoa(i*batch + j)
					msgs[j] = &nats.Msg{Subject: "events.acme.u" + strconv.Itoa(j%100), Data: body,
						Header: nats.Header{jetstream.MsgIDHeader: []string{id}, jetstream.ExpectedStreamHeader: e.h.streamHdr[:1:1]}}
				}
				acc, dup, err := v.pub(e.h, ctx, msgs)
				if err != nil || acc != batch || dup != 0 {
					b.Fatalf("accepted %d, duplicates %d, %v", acc, dup, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/1e3/float64(b.N*batch), "cpu_us/ev")
		})
	}
}
