package aggregator_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/streams"
)

// BenchmarkOrderedRead compares ways of reading RANKSTREAM_BENCH_EVENTS
// (default 300k) EVENTS messages with an ordered consumer, by process CPU
// per event: the Messages iterator (what the plain read and Lane use) and
// Consume's callback.
func BenchmarkOrderedRead(b *testing.B) {
	n := envInt("RANKSTREAM_BENCH_EVENTS", 300_000)
	ctx := context.Background()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: b.TempDir(), Partitions: 64}, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rb := &recoveryBench{b: b, ctx: ctx, st: st, g: &gen{r: rand.New(rand.NewSource(1)), t0: time.Now().UTC()}}
	for i := 0; i < 20000; i++ {
		rb.g.users = append(rb.g.users, fmt.Sprintf("u_%d", i))
	}
	rb.publish(n)
	last := rb.lastSeq()
	reads := map[string]func() int{
		"iter": func() int {
			cons, err := st.JS.OrderedConsumer(ctx, streams.Events, jetstream.OrderedConsumerConfig{})
			if err != nil {
				b.Fatal(err)
			}
			it, err := cons.Messages(jetstream.PullMaxMessages(2048))
			if err != nil {
				b.Fatal(err)
			}
			defer it.Stop()
			got := 0
			for {
				m, err := it.Next()
				if err != nil {
					b.Fatal(err)
				}
				got += len(m.Data())
				if seq, _, ok := aggregator.AckSeqTime(m.Reply()); ok && seq >= last {
					return got
				}
			}
		},
		"consume": func() int {
			cons, err := st.JS.OrderedConsumer(ctx, streams.Events, jetstream.OrderedConsumerConfig{})
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			got := 0
			cc, err := cons.Consume(func(m jetstream.Msg) {
				got += len(m.Data())
				if seq, _, ok := aggregator.AckSeqTime(m.Reply()); ok && seq == last {
					close(done)
				}
			}, jetstream.PullMaxMessages(2048))
			if err != nil {
				b.Fatal(err)
			}
			<-done
			cc.Stop()
			return got
		},
	}
	for rep := 0; rep < 3; rep++ {
		for _, name := range []string{"iter", "consume"} {
			cpu0, t0 := aggregator.ProcessCPU(), time.Now()
			reads[name]()
			cpu, d := aggregator.ProcessCPU()-cpu0, time.Since(t0)
			fmt.Fprintf(os.Stderr, "ordered read %s: %d events, %s, cpu %.2f µs/event\n", name, last, d.Round(time.Millisecond),
				float64(cpu.Nanoseconds())/1e3/float64(last))
		}
	}
}
