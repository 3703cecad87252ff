package aggregator

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// BenchmarkScoresStore measures what the server spends storing a SCORES
// message: flushes of 500 standings on subjects of the real scheme (20,000
// users × 3 boards, every subject stored once before the timer, so that each
// store replaces the subject's message), published as the scorer does (a
// round of pubAcks), with the stream as streams.Configs makes it and with
// server-side variants. cpu_us/msg is the process's CPU (client and the
// embedded server) per message. Variants:
//
//	config       the SCORES configuration (file, one message per subject)
//	s2           the same with S2 compression
//	nolimit      no per-subject limit (a reference: the cost of the removal)
//	memory       memory storage (a reference: the cost of the file store)
func BenchmarkScoresStore(b *testing.B) {
	var base jetstream.StreamConfig
	for _, c := range streams.Configs(streams.Options{Partitions: 64, Replicas: 1}) {
		if c.Name == streams.Scores {
			base = c
		}
	}
	variants := []struct {
		name string
		mod  func(*jetstream.StreamConfig)
	}{
		{"config", func(*jetstream.StreamConfig) {}},
		{"s2", func(c *jetstream.StreamConfig) { c.Compression = jetstream.S2Compression }},
		{"nolimit", func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 0 }},
		{"memory", func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage }},
	}
	const flush, users, boards = 500, 20000, 3
	subjects := make([]string, 0, users*boards)
	for u := 0; u < users; u++ {
		for k := 0; k < boards; k++ {
			subjects = append(subjects, streams.ScoreSubject(8, k, fmt.Sprintf("c_%d", k), 1764720000, "", fmt.Sprintf("u_%d", u)))
		}
	}
	data := make([]byte, 57)
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			_, nc, js := testkit.JetStream(b)
			ctx := context.Background()
			cfg := base
			v.mod(&cfg)
			if _, err := js.CreateStream(ctx, cfg); err != nil {
				b.Fatal(err)
			}
			a := newPubAcks(nc)
			defer a.close()
			msgs := make([]nats.Msg, flush)
			send := func(from int) {
				for j := range msgs {
					msgs[j] = nats.Msg{Subject: subjects[(from+j)%len(subjects)], Data: data}
				}
				benchRound(ctx, b, a, msgs)
			}
			for i := 0; i < len(subjects); i += flush {
				send(i)
			}
			c0 := ProcessCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// a stride through the subjects: consecutive stores hit
				// unrelated subjects and blocks, as users' standings do
				send((i * 7919 * flush) % len(subjects))
			}
			b.StopTimer()
			b.ReportMetric(float64((ProcessCPU()-c0).Nanoseconds())/1e3/float64(b.N*flush), "cpu_us/msg")
		})
	}
}
