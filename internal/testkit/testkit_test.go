package testkit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/testkit"
)

func TestJetStreamServes(t *testing.T) {
	_, _, js := testkit.JetStream(t)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, "t.x", []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Sequence != 1 {
		t.Fatalf("sequence %d, want 1", ack.Sequence)
	}
}

func TestClusterHasMetaLeaderAndReplicates(t *testing.T) {
	nodes := testkit.Cluster(t, 3)
	_, js := testkit.Connect(t, testkit.URLs(nodes))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Replicas; got != 3 {
		t.Fatalf("replicas %d, want 3", got)
	}
}

func TestRedisPrefixIsCleanedUp(t *testing.T) {
	var prefix string
	t.Run("writes", func(t *testing.T) {
		rdb, p := testkit.Redis(t, "kit")
		prefix = p
		if err := rdb.Set(context.Background(), p+"k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if keys := testkit.RedisKeys(t, rdb, p+"*"); len(keys) != 1 {
			t.Fatalf("keys %v, want one", keys)
		}
	})
	rdb, _ := testkit.Redis(t, "kit-check")
	if keys := testkit.RedisKeys(t, rdb, prefix+"*"); len(keys) != 0 {
		t.Fatalf("keys left after the subtest: %v", keys)
	}
}

func TestPostgresDatabaseIsFreshAndDropped(t *testing.T) {
	var dsn string
	t.Run("uses", func(t *testing.T) {
		dsn = testkit.Postgres(t)
		ctx := context.Background()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("fresh database has %d tables (%v)", n, err)
		}
	})
	ctx := context.Background()
	c, err := pgx.Connect(ctx, testkit.PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	cfg, _ := pgx.ParseConfig(dsn)
	var exists bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", cfg.Database).Scan(&exists); err != nil || exists {
		t.Fatalf("database %s still there after its test (%v)", cfg.Database, err)
	}
}

func TestPollReturnsLastReason(t *testing.T) {
	calls := 0
	err := testkit.Poll(50*time.Millisecond, func() error {
		calls++
		return fmt.Errorf("try %d", calls)
	})
	if err == nil || err.Error() != fmt.Sprintf("try %d", calls) || calls < 2 {
		t.Fatalf("err %v after %d calls: want the last reason after several tries", err, calls)
	}
	n := 0
	if err := testkit.Poll(time.Second, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || n != 3 {
		t.Fatalf("err %v after %d calls, want nil after 3", err, n)
	}
}

// TestSignMatchesOpenSSL checks Sign against a value computed outside Go:
// printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret
func TestSignMatchesOpenSSL(t *testing.T) {
	const want = "sha256=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
	if got := testkit.Sign("s3cret", 1700000000, []byte(`{"a":1}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestPostEventsSendsTheContractHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	body := []byte(`{"event_id":"e1"}`)
	code, _ := testkit.PostEvents(t, srv.URL, "acme", "k", body)
	if code != http.StatusAccepted || got.Get("X-Provider-Id") != "acme" {
		t.Fatalf("code %d, headers %v", code, got)
	}
	ts := got.Get("X-Timestamp")
	var sec int64
	if _, err := fmt.Sscan(ts, &sec); err != nil || got.Get("X-Signature") != testkit.Sign("k", sec, body) {
		t.Fatalf("timestamp %q, signature %q", ts, got.Get("X-Signature"))
	}
}

func TestTrafficIsValidInvalidAndRepeatable(t *testing.T) {
	t0 := time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC)
	a, b := testkit.NewTraffic(7, t0, 5), testkit.NewTraffic(7, t0, 5)
	for i := range 500 {
		ea, eb := a.Valid(), b.Valid()
		if string(ea.Body) != string(eb.Body) {
			t.Fatalf("event %d differs for one seed", i)
		}
		ev, err := event.Parse(ea.Body)
		if err != nil {
			t.Fatalf("valid event %s: %v", ea.Body, err)
		}
		if ev.UserID != ea.User || ev.GameProvider != ea.Provider || ev.EventID != ea.ID {
			t.Fatalf("event %s: sender %s/%s/%s", ea.Body, ea.Provider, ea.User, ea.ID)
		}
	}
	for range 200 {
		e := a.Invalid()
		if _, err := event.Parse(e.Body); err == nil && !strings.Contains(string(e.Body), "someone_else") && !strings.Contains(string(e.Body), t0.Add(time.Hour).Format(time.RFC3339)) {
			t.Fatalf("invalid event parses: %s", e.Body)
		}
	}
}
