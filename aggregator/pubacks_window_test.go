package aggregator

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/internal/testkit"
)

// TestPubAcksWindow: back-pressure is a window, not stop-and-go. With
// maxPubAcks answers outstanding, a waiting publisher goes on once no more
// than resumePubAcks are (not when every one is in), and not before; the
// answers come from a responder the test holds back and lets go, on a real
// server.
func TestPubAcksWindow(t *testing.T) {
	_, nc, _ := testkit.JetStream(t)
	ctx := context.Background()
	held := make(chan *nats.Msg, maxPubAcks)
	sub, err := nc.Subscribe("held.>", func(m *nats.Msg) { held <- m })
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	a := newPubAcks(nc)
	defer a.close()
	r, err := a.open(false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxPubAcks; i++ {
		if err := a.publish(r, &nats.Msg{Subject: "held.s", Data: []byte("s")}); err != nil {
			t.Fatal(err)
		}
	}
	a.seal(r)
	answer := func(n int) {
		for i := 0; i < n; i++ {
			m := <-held
			if err := nc.Publish(m.Reply, []byte(`{"stream":"HELD","seq":1}`)); err != nil {
				t.Fatal(err)
			}
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	room := make(chan error, 1)
	go func() { room <- a.waitRoom(ctx, 0) }()
	// One more than resumePubAcks left outstanding: still waiting.
	answer(maxPubAcks - resumePubAcks - 1)
	deadline := time.Now().Add(5 * time.Second)
	for a.outstanding.Load() > resumePubAcks+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := a.outstanding.Load(); n != resumePubAcks+1 {
		t.Fatalf("%d outstanding, want %d", n, resumePubAcks+1)
	}
	select {
	case err := <-room:
		t.Fatalf("went on with %d answers outstanding (%v)", a.outstanding.Load(), err)
	case <-time.After(50 * time.Millisecond):
	}
	// One more answer: room, with resumePubAcks still outstanding.
	answer(1)
	select {
	case err := <-room:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still waiting with %d answers outstanding", a.outstanding.Load())
	}
	if n := a.outstanding.Load(); n != resumePubAcks {
		t.Fatalf("%d outstanding when it went on, want %d (not all answered)", n, resumePubAcks)
	}
	if err := a.waitIdle(ctx, 50*time.Millisecond); err == nil {
		t.Fatal("idle with answers outstanding")
	}
	answer(resumePubAcks)
	if err := a.waitIdle(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}
