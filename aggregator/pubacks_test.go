package aggregator

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

// ackStreams makes, on a real server, a stream that stores everything
// ("ok.>"), one that is full and refuses every new message ("full.>":
// at most one message, discard new), and a subject taken by a plain
// subscriber that never answers ("mute.>"); "none.>" is taken by nobody
// (no-responders status).
func ackStreams(t *testing.T) (string, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	ns, nc, js := testkit.JetStream(t)
	ctx := context.Background()
	for _, cfg := range []jetstream.StreamConfig{
		{Name: "OK", Subjects: []string{"ok.>"}, Storage: jetstream.MemoryStorage},
		{Name: "FULL", Subjects: []string{"full.>"}, Storage: jetstream.MemoryStorage, MaxMsgs: 1, Discard: jetstream.DiscardNew},
	} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Publish(ctx, "full.0", []byte("x")); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.Subscribe("mute.>", func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return ns.ClientURL(), nc, js
}

// TestPubAcksLikeFutures publishes random flushes, each message to a
// stream that stores it, one that refuses it or a subject no stream takes,
// once as a round of pubAcks and once with jetstream.PublishMsgAsync (the
// old path), and compares: a round fails exactly when some future failed.
func TestPubAcksLikeFutures(t *testing.T) {
	_, nc, js := ackStreams(t)
	ctx := context.Background()
	a := newPubAcks(nc)
	defer a.close()
	rng := rand.New(rand.NewPCG(14, 3))
	kinds := []string{"ok", "ok", "ok", "ok", "ok", "ok", "full", "none"}
	for trial := 0; trial < 60; trial++ {
		keep := trial%2 == 0
		r, err := a.open(keep)
		if err != nil {
			t.Fatal(err)
		}
		n := 1 + rng.IntN(40)
		bad := rng.IntN(3) == 0
		var futures []jetstream.PubAckFuture
		for i := 0; i < n; i++ {
			kind := "ok"
			if bad {
				kind = kinds[rng.IntN(len(kinds))]
			}
			subj := fmt.Sprintf("%s.t%d.%d", kind, trial, i)
			if err := a.publish(r, &nats.Msg{Subject: subj, Data: []byte("s")}); err != nil {
				t.Fatal(err)
			}
			f, err := js.PublishMsgAsync(&nats.Msg{Subject: subj, Data: []byte("s")}, noRetry)
			if err != nil {
				t.Fatal(err)
			}
			futures = append(futures, f)
		}
		a.seal(r)
		var oldErr error
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				oldErr = errors.Join(oldErr, err)
			case <-time.After(10 * time.Second):
				t.Fatal("future unresolved")
			}
		}
		newErr := a.wait(ctx, []*ackRound{r}, 10*time.Second)
		if (oldErr != nil) != (newErr != nil) {
			t.Fatalf("trial %d (%d messages): futures %v, round %v", trial, n, oldErr, newErr)
		}
		if keep {
			a.release([]*ackRound{r})
		}
	}
	if err := a.waitIdle(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	left := len(a.rounds)
	a.mu.Unlock()
	if left != 0 || a.outstanding.Load() != 0 {
		t.Fatalf("%d rounds, %d answers outstanding after every round was waited for", left, a.outstanding.Load())
	}
}

// TestPubAcksMissingAnswer: a message nobody answers fails its round once
// the wait times out, and it stays outstanding until the round is released.
func TestPubAcksMissingAnswer(t *testing.T) {
	_, nc, _ := ackStreams(t)
	ctx := context.Background()
	a := newPubAcks(nc)
	defer a.close()
	r, err := a.open(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{"ok.a", "mute.a", "ok.b"} {
		if err := a.publish(r, &nats.Msg{Subject: subj, Data: []byte("s")}); err != nil {
			t.Fatal(err)
		}
	}
	a.seal(r)
	if err := a.wait(ctx, []*ackRound{r}, 300*time.Millisecond); err == nil {
		t.Fatal("a round with an unanswered message was complete")
	}
	if err := a.waitIdle(ctx, 100*time.Millisecond); err == nil {
		t.Fatal("idle with an answer outstanding")
	}
	a.release([]*ackRound{r})
	if err := a.waitIdle(ctx, time.Second); err != nil {
		t.Fatalf("released round still outstanding: %v", err)
	}
}

// TestPubAcksConnectionLost: the connection's status change (here: closed
// for good; a reconnect is the same listener) fails the rounds in flight,
// whose answers are lost, as jetstream fails its futures.
func TestPubAcksConnectionLost(t *testing.T) {
	url, _, _ := ackStreams(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := newPubAcks(nc)
	defer a.close()
	r, err := a.open(true)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.publish(r, &nats.Msg{Subject: "mute.x", Data: []byte("s")}); err != nil {
		t.Fatal(err)
	}
	a.seal(r)
	nc.Close()
	if err := a.wait(ctx, []*ackRound{r}, 5*time.Second); !errors.Is(err, nats.ErrDisconnected) {
		t.Fatalf("round after the connection closed: %v, want ErrDisconnected", err)
	}
	a.release([]*ackRound{r})
	if n := a.outstanding.Load(); n != 0 {
		t.Fatalf("%d outstanding after release", n)
	}
}

// BenchmarkFlushPublish publishes flushes of 500 standings (SCORES-like
// subjects and payloads, one message kept per subject) and waits for their
// acks, as a round of pubAcks and with jetstream futures (the path it
// replaced). cpu_us/msg is the process's CPU (the embedded server's
// storing included, the same for both) per message.
func BenchmarkFlushPublish(b *testing.B) {
	for _, v := range []string{"rounds", "futures"} {
		b.Run(v, func(b *testing.B) {
			_, nc, js := testkit.JetStream(b)
			ctx := context.Background()
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"},
				Storage: jetstream.FileStorage, MaxMsgsPerSubject: 1}); err != nil {
				b.Fatal(err)
			}
			a := newPubAcks(nc)
			defer a.close()
			const flush = 500
			data := []byte("1234567890123456789012345678901234567890")
			subjects := make([]string, 4*flush)
			for i := range subjects {
				subjects[i] = fmt.Sprintf("s.g0.c_1.1764720000.d.u%d", i)
			}
			c0 := ProcessCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				msgs := make([]nats.Msg, flush)
				for j := range msgs {
					msgs[j] = nats.Msg{Subject: subjects[(i*flush+j)%len(subjects)], Data: data}
				}
				if v == "rounds" {
					benchRound(ctx, b, a, msgs)
				} else {
					benchFutures(b, js, msgs)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((ProcessCPU()-c0).Nanoseconds())/1e3/float64(b.N*flush), "cpu_us/msg")
		})
	}
}

func benchRound(ctx context.Context, b *testing.B, a *pubAcks, msgs []nats.Msg) {
	r, err := a.open(true)
	if err != nil {
		b.Fatal(err)
	}
	for j := range msgs {
		if err := a.publish(r, &msgs[j]); err != nil {
			b.Fatal(err)
		}
	}
	a.seal(r)
	if err := a.wait(ctx, []*ackRound{r}, 10*time.Second); err != nil {
		b.Fatal(err)
	}
	a.release([]*ackRound{r})
}

func benchFutures(b *testing.B, js jetstream.JetStream, msgs []nats.Msg) {
	fs := make([]jetstream.PubAckFuture, 0, len(msgs))
	for j := range msgs {
		f, err := js.PublishMsgAsync(&msgs[j], noRetry)
		if err != nil {
			b.Fatal(err)
		}
		fs = append(fs, f)
	}
	for _, f := range fs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			b.Fatal(err)
		}
	}
}
