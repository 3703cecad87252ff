package notifier

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/internal/testkit"
)

// TestReconnectResendsWhatTheBrokenConnectionSwallowed: the active
// notifier's connection fails silently (what it writes no longer reaches the
// server), alice's new position is published into it, then the connection
// breaks and the client reconnects. Alice's last message must still become
// her standing. (Before, the notifier counted the swallowed message as sent
// and never sent it again.) A change made while disconnected is buffered by
// the client and sent on reconnect.
func TestReconnectResendsWhatTheBrokenConnectionSwallowed(t *testing.T) {
	st := embedded(t)
	rec := record(t, st.NC)
	px := startProxy(t, st.Server.Addr().String())
	nc, err := nats.Connect("nats://"+px.addr(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	n := startNotifier(t, nc, Options{Interval: 10 * time.Millisecond, OvertakenInterval: 10 * time.Millisecond})
	n.OnTick(delta([]aggregator.Rank{rk(1, "alice", 40, nil, 40)}, []string{"alice"}))
	rec.wait(subjAlice, 1)

	px.blackhole.Store(true) // writes are swallowed: a dying connection
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 60, gap(40), 20)}, []string{"alice", "bob"}))
	testkit.Eventually(t, 5*time.Second, func() error {
		if got := testkit.CounterValue(n.m.Published.WithLabelValues(TypeRank)); got < 3 {
			return fmt.Errorf("%v rank messages published, want 3", got)
		}
		return nil
	})
	px.cut() // the connection breaks; the client reconnects through the proxy
	px.blackhole.Store(false)
	// While it reconnects, carol arrives: buffered by the client.
	n.OnTick(delta([]aggregator.Rank{rk(1, "bob", 100, nil, 100), rk(2, "alice", 60, gap(40), 20),
		rk(3, "carol", 10, gap(50), 10)}, []string{"carol"}))

	want := map[string]struct {
		pos   int
		score int64
	}{subjAlice: {2, 60}, subjBob: {1, 100}, subjCarol: {3, 10}}
	testkit.Eventually(t, 10*time.Second, func() error {
		for subj, w := range want {
			got := rec.on(subj)
			if len(got) == 0 {
				return fmt.Errorf("%s: no message", subj)
			}
			m := got[len(got)-1].rank
			if *m.Pos != w.pos || m.Score != w.score {
				return fmt.Errorf("%s: last message %+v (pos %d), want pos %d score %d", subj, m, *m.Pos, w.pos, w.score)
			}
		}
		top := rec.on(subjTop)
		if len(top) == 0 || len(top[len(top)-1].top.Top) != 3 {
			return fmt.Errorf("top: %+v", top)
		}
		return nil
	})
	if got := testkit.CounterValue(n.m.Resent); got < 1 {
		t.Fatalf("resent %v messages", got)
	}
}

// proxy forwards TCP connections to a server; blackhole swallows what the
// clients write, cut closes every connection.
type proxy struct {
	ln        net.Listener
	target    string
	blackhole atomic.Bool
	mu        sync.Mutex
	conns     []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	go p.accept()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(s, c, true)
		go p.pipe(c, s, false)
	}
}

// pipe copies from src to dst; fromClient bytes are dropped while blackholed.
func (p *proxy) pipe(dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 && !(fromClient && p.blackhole.Load()) {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			dst.Close()
			return
		}
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
