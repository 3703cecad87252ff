package notifier

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

func testLogger() *slog.Logger { return testkit.Logger() }

// embedded starts a real nats-server (no JetStream streams needed beyond the
// topology) and returns the app connection.
func embedded(t testing.TB) *streams.Streams {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// received is one message seen by a recorder.
type received struct {
	at   time.Time
	subj string
	top  TopMsg
	rank RankMsg
}

// recorder subscribes to lb.> and keeps every message.
type recorder struct {
	t   *testing.T
	mu  sync.Mutex
	got []received
}

func record(t *testing.T, nc *nats.Conn) *recorder {
	t.Helper()
	r := &recorder{t: t}
	sub, err := nc.Subscribe("lb.>", func(m *nats.Msg) {
		rc := received{at: time.Now(), subj: m.Subject}
		var probe struct{ Type string }
		if err := json.Unmarshal(m.Data, &probe); err != nil {
			t.Errorf("bad message on %s: %q", m.Subject, m.Data)
			return
		}
		var err error
		if probe.Type == TypeTop {
			err = json.Unmarshal(m.Data, &rc.top)
		} else {
			err = json.Unmarshal(m.Data, &rc.rank)
		}
		if err != nil {
			t.Errorf("bad %s message: %v", probe.Type, err)
		}
		r.mu.Lock()
		r.got = append(r.got, rc)
		r.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	t.Cleanup(func() { sub.Unsubscribe() })
	return r
}

// on returns the messages of subject so far.
func (r *recorder) on(subject string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, m := range r.got {
		if m.subj == subject {
			out = append(out, m)
		}
	}
	return out
}

// wait polls until subject has n messages and returns them.
func (r *recorder) wait(subject string, n int) []received {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.on(subject)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: %d messages, want %d: %+v", subject, len(got), n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// quiet asserts that subject gets no message beyond n for d.
func (r *recorder) quiet(subject string, n int, d time.Duration) {
	r.t.Helper()
	time.Sleep(d)
	if got := r.on(subject); len(got) != n {
		r.t.Fatalf("%s: %d messages, want %d: %+v", subject, len(got), n, got)
	}
}

// startNotifier runs a notifier publishing on nc.
func startNotifier(t *testing.T, nc *nats.Conn, opts Options) *Notifier {
	t.Helper()
	opts.Publisher = nc
	n, err := New(opts, testLogger(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	t.Cleanup(func() {
		n.Stop()
		n.Stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return n
}

var board1 = contest.BoardID{Contest: "c1", Window: 1761415200}

func gap(v int64) *int64 { return &v }

// rk builds a Rank.
func rk(pos int, user string, score int64, g *int64, pts int64) aggregator.Rank {
	return aggregator.Rank{Pos: pos, User: user, Score: score, GapToNext: g, LastPoints: pts}
}

// delta builds a BoardDelta: top is the whole board, changed the users whose
// standing changed, watched the other users to report.
func delta(top []aggregator.Rank, changed []string, watched ...string) []aggregator.BoardDelta {
	d := aggregator.BoardDelta{ID: board1, Top: top, Total: len(top), Ranks: map[string]aggregator.Rank{}}
	byUser := map[string]aggregator.Rank{}
	for _, r := range top {
		byUser[r.User] = r
	}
	for _, u := range changed {
		d.Changed = append(d.Changed, aggregator.UserDelta{User: u})
		d.Ranks[u] = byUser[u]
	}
	for _, u := range watched {
		d.Ranks[u] = byUser[u]
	}
	return []aggregator.BoardDelta{d}
}

// waitWatched waits until the notifier's watched snapshot lists user.
func waitWatched(t *testing.T, n *Notifier, id contest.BoardID, user string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, u := range n.Watched(id) {
			if u == user {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not watched on %s", user, id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// staticSource is an interest source that always finds the same interest.
type staticSource []streams.Interest

func (s staticSource) Name() string { return "static" }

func (s staticSource) Poll(context.Context) (InterestPoll, error) {
	return InterestPoll{Interest: s, Servers: 1, Subs: len(s)}, nil
}
