package streams

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

// A single server cannot hold 3 replicas: Open and the buckets refuse with
// an error that says what to do, instead of running R1 silently.
func TestReplicasRefusedOnSingleServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := Open(ctx, Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4, Replicas: 3}, nil)
	if !errors.Is(err, ErrReplicasUnavailable) || !strings.Contains(err.Error(), "cluster of at least 3 nodes") {
		t.Fatalf("Open with 3 replicas on one node: %v, want ErrReplicasUnavailable naming the cluster", err)
	}
	s, err := Open(ctx, Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := EnsureLeases(ctx, s.JS, 5*time.Second, 3); !errors.Is(err, ErrReplicasUnavailable) {
		t.Fatalf("EnsureLeases R3 on one node: %v", err)
	}
	if _, err := EnsureCheckpoints(ctx, s.JS, 3); !errors.Is(err, ErrReplicasUnavailable) {
		t.Fatalf("EnsureCheckpoints R3 on one node: %v", err)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// On a 3-node cluster: streams and buckets made with 1 replica are raised
// to 3 when asked for, and a later process asking for 1 keeps the 3 (with
// a warning) instead of scaling them down.
func TestReplicasRaisedNeverLowered(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url := testkit.URLs(testkit.Cluster(t, 3))
	open := func(replicas int, log *slog.Logger) {
		t.Helper()
		s, err := Open(ctx, Options{URL: url, Partitions: 4, Replicas: replicas}, log)
		if err != nil {
			t.Fatalf("Open R%d: %v", replicas, err)
		}
		defer s.Close()
		if _, err := EnsureLeases(ctx, s.JS, 5*time.Second, replicas); err != nil {
			t.Fatalf("EnsureLeases R%d: %v", replicas, err)
		}
		if _, err := EnsureCheckpoints(ctx, s.JS, replicas); err != nil {
			t.Fatalf("EnsureCheckpoints R%d: %v", replicas, err)
		}
	}
	check := func(want int) {
		t.Helper()
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{Events, Scores, DLQInvalid, DLQLate, KVStreamName(LeaseBucket), ObjectStreamName(CheckpointBucket)} {
			st, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := st.CachedInfo().Config.Replicas; got != want {
				t.Errorf("%s has %d replicas, want %d", name, got, want)
			}
		}
	}
	open(1, nil)
	check(1)
	open(3, nil)
	check(3)
	var buf syncBuf
	open(1, slog.New(slog.NewJSONHandler(&buf, nil)))
	check(3)
	if !strings.Contains(buf.String(), "never lowered") || !strings.Contains(buf.String(), `"existing":3`) {
		t.Errorf("no warning about keeping the replicas:\n%s", buf.String())
	}
}

// A request that a loaded cluster leaves unanswered must not use up the
// caller's whole deadline: each attempt of retryTransient ends after
// attemptWithin and the next one is sent.
func TestRetryTransientBoundsEachAttempt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*attemptWithin+time.Second)
	defer cancel()
	attempts := 0
	err := retryTransient(ctx, func(actx context.Context) error {
		attempts++
		<-actx.Done() // a request nobody answers
		return actx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	if attempts < 2 {
		t.Fatalf("%d attempts in %s: one unanswered request used up the caller's deadline", attempts, 2*attemptWithin+time.Second)
	}
}

// ensureOne bounds each create request as retryTransient does: a JetStream
// API that never answers (here a silent subscriber of $JS.API on a server
// without JetStream) gets a second request after attemptWithin instead of
// holding the first one for the caller's whole deadline.
func TestEnsureOneBoundsEachRequest(t *testing.T) {
	ns := testkit.NATS(t, func(o *server.Options) { o.JetStream = false })
	nc, js := testkit.Connect(t, ns.ClientURL())
	var mu sync.Mutex
	creates := 0
	sub, err := nc.Subscribe("$JS.API.STREAM.>", func(m *nats.Msg) {
		if strings.HasPrefix(m.Subject, "$JS.API.STREAM.CREATE.") || strings.HasPrefix(m.Subject, "$JS.API.STREAM.UPDATE.") {
			mu.Lock()
			creates++
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*attemptWithin+2*time.Second)
	defer cancel()
	s := &Streams{NC: nc, JS: js, log: slog.Default()}
	err = s.ensureOne(ctx, jetstream.StreamConfig{Name: "SILENT", Subjects: []string{"silent.>"}})
	if err == nil {
		t.Fatal("ensureOne succeeded against an API that never answers")
	}
	mu.Lock()
	defer mu.Unlock()
	if creates < 2 {
		t.Fatalf("%d create or update requests before the caller's deadline (%v): one unanswered request used it up", creates, err)
	}
}
