package aggregator_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/streams"
)

// TestLeaderSingleHolder: of two processes asking for the same lease one
// holds it; a graceful stop hands it over at once; a holder whose key is
// taken from under it (as after it was partitioned away and the key
// expired) notices and gives it up; the epoch grows on every gain.
func TestLeaderSingleHolder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 2}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const ttl = time.Second
	mk := func(name string) *aggregator.Leader {
		l, err := aggregator.NewLeader(aggregator.LeaderOptions{JS: st.JS, Name: "ranker", Instance: name, TTL: ttl}, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	var wg sync.WaitGroup
	run := func(l *aggregator.Leader) context.CancelFunc {
		c, stop := context.WithCancel(ctx)
		wg.Add(1)
		go func() { defer wg.Done(); l.Run(c) }()
		return stop
	}
	defer wg.Wait()
	a, b := mk("a"), mk("b")
	stopA := run(a)
	defer stopA()
	waitUntil(t, 5*time.Second, "a holds", func() bool { return a.Held() })
	stopB := run(b)
	defer stopB()
	waitUntil(t, 5*time.Second, "b decided", b.Decided)
	// Several rounds: b never holds while a does.
	for end := time.Now().Add(3 * ttl / 2); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if a.Held() == b.Held() {
			t.Fatalf("a held %v, b held %v", a.Held(), b.Held())
		}
	}
	if b.Held() || b.Epoch() != 0 {
		t.Fatalf("b held %v epoch %d", b.Held(), b.Epoch())
	}
	// Graceful stop of a: b takes over well before the key could expire.
	stopA()
	t0 := time.Now()
	waitUntil(t, ttl, "b takes over", func() bool { return b.Held() })
	t.Logf("handover after a graceful stop: %s", time.Since(t0))
	if b.Epoch() != 1 {
		t.Fatalf("b epoch %d, want 1", b.Epoch())
	}
	// Someone else writes the key (b's lease was lost): b gives it up.
	kv, err := st.JS.KeyValue(ctx, streams.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, streams.RoleLeaseKey("ranker"), []byte("intruder")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 2*ttl, "b gives the lease up", func() bool { return !b.Held() })
	// Once the intruder's key expires, b gains it again with a new epoch.
	waitUntil(t, 5*ttl, "b regains it", func() bool { return b.Held() })
	if b.Epoch() != 2 {
		t.Fatalf("b epoch %d, want 2", b.Epoch())
	}
	e, err := kv.Get(ctx, streams.RoleLeaseKey("ranker"))
	if err != nil || string(e.Value()) != "b" {
		t.Fatalf("lease value %v %v", e, err)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
