package notifier

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/internal/natstest"
	"github.com/rankstream/rankstream/streams"
)

// sharer is one process of the watch-sharing tests: a connection to its
// node, and a notifier that sees only that node's subscribers (as a process
// with an embedded server does) and the watch bucket.
type sharer struct {
	st *streams.Streams
	n  *Notifier
}

const shareTTL = 2 * time.Second

func startSharers(t *testing.T, nodes []*server.Server) []*sharer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []*sharer
	for i, ns := range nodes {
		st, err := streams.Open(ctx, streams.Options{URL: ns.ClientURL(), Partitions: 4, Name: fmt.Sprintf("p%d", i)}, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		kv, err := streams.EnsureWatch(ctx, st.JS, shareTTL, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := startNotifier(t, st.NC, Options{Interest: &ServerSource{Server: ns}, InterestEvery: 100 * time.Millisecond,
			WatchKV: kv, WatchTTL: shareTTL, Instance: fmt.Sprintf("p%d", i)})
		out = append(out, &sharer{st: st, n: n})
	}
	return out
}

func notWatched(t *testing.T, n *Notifier, user string, within time.Duration) time.Duration {
	t.Helper()
	t0 := time.Now()
	for has(n.Watched(board1), user) {
		if time.Since(t0) > within {
			t.Fatalf("%s still watched after %s", user, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(t0)
}

// Three processes on three nodes: the one that pushes (p0) learns of an
// anonymous subscriber on node 3 and of a WebSocket player of p1 through the
// watch bucket; interest ends when the subscriber leaves, expires when its
// process dies, and lives on (refreshed) while it stays.
func TestWatchSharedAcrossNodes(t *testing.T) {
	nodes := natstest.StartCluster(t, 3)
	ps := startSharers(t, nodes)
	anon, err := nats.Connect(nodes[2].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	subs := subscribe(t, anon, "lb.c1.user.alice", "lb.*.user.carol")
	ps[1].n.Watch("c1", "bob")
	for _, u := range []string{"alice", "bob", "carol"} {
		waitWatched(t, ps[0].n, board1, u)
	}
	if has(ps[0].n.Watched(board1), "nobody") {
		t.Fatal("unexpected watched user")
	}
	// Refreshed: still watched after three TTLs (p2 keeps seeing them).
	for t0 := time.Now(); time.Since(t0) < 3*shareTTL; time.Sleep(50 * time.Millisecond) {
		if w := ps[0].n.Watched(board1); !has(w, "alice") || !has(w, "carol") {
			t.Fatalf("interest lost while the subscriber stays: %v", w)
		}
	}
	// Leaves: deleted at p2's next poll, well before the TTL.
	if err := subs[0].Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if d := notWatched(t, ps[0].n, "alice", 10*time.Second); d >= shareTTL {
		t.Errorf("alice unwatched after %s, want the delete (< TTL %s)", d, shareTTL)
	}
	// The process dies without a word: its keys expire with the TTL.
	ps[1].n.Stop()
	notWatched(t, ps[0].n, "bob", 3*shareTTL)
	if !has(ps[0].n.Watched(board1), "carol") {
		t.Fatal("carol lost with p1")
	}
	if v := value(t, ps[2].n.m.WatchKVWrites.WithLabelValues("put")); v < 2 {
		t.Fatalf("p2 put %v keys", v)
	}
	if v := value(t, ps[2].n.m.WatchKVWrites.WithLabelValues("delete")); v < 1 {
		t.Fatalf("p2 deleted %v keys", v)
	}
	if v := value(t, ps[0].n.m.WatchedShared); v < 1 {
		t.Fatalf("p0 watched_shared %v", v)
	}
}

// Two processes seeing the same player: the second does not refresh a key
// the first wrote recently, and when the first's subscriber leaves (it
// deletes its key), the second writes it again.
func TestWatchSharedHandOver(t *testing.T) {
	nodes := natstest.StartCluster(t, 3)
	ps := startSharers(t, nodes)
	a, err := nats.Connect(nodes[1].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := nats.Connect(nodes[2].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sa := subscribe(t, a, "lb.c1.user.dora")
	waitWatched(t, ps[0].n, board1, "dora")
	subscribe(t, b, "lb.c1.user.dora")
	waitFor(t, "p2 sees dora", func() bool { return value(t, ps[2].n.m.InterestSubs) == 1 })
	if err := sa[0].Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "p1 deletes dora", func() bool { return value(t, ps[1].n.m.WatchKVWrites.WithLabelValues("delete")) >= 1 })
	// p2 re-put it: dora stays watched past the TTL of p1's last write.
	for t0 := time.Now(); time.Since(t0) < 2*shareTTL; time.Sleep(50 * time.Millisecond) {
		if !has(ps[0].n.Watched(board1), "dora") {
			// a gap of one watch round trip is allowed; it must come back
			waitWatched(t, ps[0].n, board1, "dora")
		}
	}
	waitWatched(t, ps[0].n, board1, "dora")
	writes := value(t, ps[1].n.m.WatchKVWrites.WithLabelValues("put")) + value(t, ps[2].n.m.WatchKVWrites.WithLabelValues("put"))
	// 4 s of one key with TTL 2 s: a put about every TTL/2 by one writer,
	// not one per poll (100 ms) per process.
	if writes > 12 {
		t.Fatalf("%v puts of one key: refreshes not bounded", writes)
	}
}
