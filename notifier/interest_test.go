package notifier

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/natstest"
	"github.com/rankstream/rankstream/streams"
)

// accountsConf: a system account, the app's account (JetStream; anonymous
// connections land in it) and another account players might use.
const accountsConf = `
accounts {
  SYS: { users: [{user: sys, password: sys}] }
  APP: { jetstream: enabled, users: [{user: app, password: app}] }
  OTHER: { users: [{user: other, password: other}] }
}
system_account: SYS
no_auth_user: app
`

func interestSet(p InterestPoll) map[streams.Interest]bool {
	m := map[streams.Interest]bool{}
	for _, i := range p.Interest {
		m[i] = true
	}
	return m
}

func subscribe(t *testing.T, nc *nats.Conn, subjects ...string) []*nats.Subscription {
	t.Helper()
	var subs []*nats.Subscription
	for _, s := range subjects {
		sub, err := nc.SubscribeSync(s)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return subs
}

// An anonymous plain subscriber is interest (today's /connz view saw only
// authenticated players); wildcards and stray tokens watch nobody.
func TestServerSourceSeesAnonymousSubscribers(t *testing.T) {
	st := embedded(t)
	nc, err := nats.Connect(st.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	subscribe(t, nc, "lb.c1.user.alice", "lb.*.user.bob", "lb.*.user.*", "lb.c1.top", "lb.c1.user.b@d", "lb.>")
	src := &ServerSource{Server: st.Server}
	p, err := src.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := interestSet(p)
	want := map[streams.Interest]bool{{Contest: "c1", User: "alice"}: true, {Contest: "*", User: "bob"}: true}
	if len(got) != len(want) || !got[streams.Interest{Contest: "c1", User: "alice"}] || !got[streams.Interest{Contest: "*", User: "bob"}] {
		t.Fatalf("interest %v, want %v", got, want)
	}
	if p.Servers != 1 || p.Subs < 6 || p.Truncated != 0 {
		t.Fatalf("poll %+v", p)
	}
	// A process connected to this server from elsewhere (no system
	// account): the account CONNZ lists the same subscribers.
	pc, err := (&PingSource{NC: st.NC}).Poll(context.Background())
	if err != nil || len(interestSet(pc)) != 2 || !interestSet(pc)[streams.Interest{Contest: "c1", User: "alice"}] {
		t.Fatalf("account connz %+v, %v", pc, err)
	}
	// Over the per-server bound: the rest is reported, not silently lost.
	p, err = (&ServerSource{Server: st.Server, MaxSubs: 2}).Poll(context.Background())
	if err != nil || p.Subs != 2 || p.Truncated < 4 {
		t.Fatalf("bounded poll %+v, %v", p, err)
	}
}

// On a cluster the system account's SUBSZ lists the subscribers of every
// node and every account; without system credentials the account CONNZ
// still lists every node, for the app's own account only; a connection that
// is no system user gets a clear error.
func TestPingSourceCluster(t *testing.T) {
	nodes := natstest.StartClusterConf(t, 3, accountsConf)
	anon, err := nats.Connect(nodes[2].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	subscribe(t, anon, "lb.c1.user.carol")
	other, err := nats.Connect(nodes[1].ClientURL(), nats.UserInfo("other", "other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	subscribe(t, other, "lb.*.user.dave")

	sys, err := nats.Connect(natstest.URLs(nodes), nats.UserInfo("sys", "sys"))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	app, err := nats.Connect(natstest.URLs(nodes))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	carol, dave := streams.Interest{Contest: "c1", User: "carol"}, streams.Interest{Contest: "*", User: "dave"}

	pollUntil(t, &PingSource{NC: sys, System: true}, func(p InterestPoll) bool {
		got := interestSet(p)
		return p.Servers == 3 && got[carol] && got[dave]
	})
	pollUntil(t, &PingSource{NC: app}, func(p InterestPoll) bool {
		got := interestSet(p)
		return p.Servers == 3 && got[carol] && !got[dave]
	})
	t0 := time.Now()
	_, err = (&PingSource{NC: app, System: true, Wait: 300 * time.Millisecond}).Poll(context.Background())
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("SUBSZ from a non-system user: %v, want ErrNoAnswer", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("the failed poll took %s, bound 300ms", d)
	}
}

func pollUntil(t *testing.T, src InterestSource, ok func(InterestPoll) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := src.Poll(context.Background())
		if err == nil && ok(p) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: last poll %+v, %v", src.Name(), p, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failingSource always fails.
type failingSource struct{}

func (failingSource) Name() string { return "failing" }

func (failingSource) Poll(context.Context) (InterestPoll, error) {
	return InterestPoll{}, errors.New("monitoring unavailable")
}

// A failing source is counted (and the source in use is visible); a
// working one keeps the subscription count.
func TestInterestPollMetrics(t *testing.T) {
	st := embedded(t)
	bad := startNotifier(t, st.NC, Options{Interest: failingSource{}, InterestEvery: 20 * time.Millisecond})
	waitFor(t, "error polls counted", func() bool {
		return value(t, bad.m.InterestPolls.WithLabelValues("failing", "error")) >= 2
	})
	if v := value(t, bad.m.InterestSource.WithLabelValues("failing")); v != 1 {
		t.Fatalf("interest_source{failing} = %v", v)
	}
	none := startNotifier(t, st.NC, Options{})
	if v := value(t, none.m.InterestSource.WithLabelValues("none")); v != 1 {
		t.Fatalf("interest_source{none} = %v", v)
	}
	nc, err := nats.Connect(st.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	subscribe(t, nc, "lb.c1.user.alice", "lb.c2.user.alice")
	good := startNotifier(t, st.NC, Options{Interest: &ServerSource{Server: st.Server}, InterestEvery: 20 * time.Millisecond})
	waitWatched(t, good, board1, "alice")
	waitFor(t, "subscriptions gauge", func() bool {
		return value(t, good.m.InterestSubs) == 2 &&
			value(t, good.m.InterestPolls.WithLabelValues(SourceSubsz, "ok")) >= 1
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// value reads a counter or gauge.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// The watched pairs are bounded (MaxWatched): the first in (contest, user)
// order are kept, the rest counted in rankstream_notifier_watched_dropped.
func TestWatchedBound(t *testing.T) {
	st := embedded(t)
	in := staticSource{{Contest: "c1", User: "a"}, {Contest: "c1", User: "b"}, {Contest: "c1", User: "c"}, {Contest: "c2", User: "d"}}
	n := startNotifier(t, st.NC, Options{Interest: in, InterestEvery: 20 * time.Millisecond, MaxWatched: 2})
	waitFor(t, "dropped gauge", func() bool { return value(t, n.m.WatchedDropped) == 2 })
	if w := n.Watched(board1); len(w) != 2 || w[0] != "a" || w[1] != "b" {
		t.Fatalf("watched %v, want [a b]", w)
	}
	if w := n.Watched(contestBoard("c2")); len(w) != 0 {
		t.Fatalf("c2 watched %v over the bound", w)
	}
	if v := value(t, n.m.Watched); v != 2 {
		t.Fatalf("watched gauge %v", v)
	}
}

func contestBoard(c string) contest.BoardID { return contest.BoardID{Contest: c} }
