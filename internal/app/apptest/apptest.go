// Package apptest starts a whole rankstream process in a test: embedded NATS
// (own store), Redis (own prefix), a fresh Postgres database, every
// stage, and helpers to publish events and wait for the pipeline to settle.
package apptest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// AdminToken is the admin token of test processes.
const AdminToken = "test-admin-token"

// Logger is testkit.Logger: quiet unless RANKSTREAM_TEST_LOG is set.
func Logger() *slog.Logger { return testkit.Logger() }

// Env is what a test process runs on; reuse it to restart on the same state.
type Env struct {
	PostgresURL string
	StoreDir    string
	RedisPrefix string
}

// NewEnv makes a fresh database, store directory and Redis prefix.
func NewEnv(t *testing.T) Env {
	t.Helper()
	return Env{PostgresURL: testkit.Postgres(t), StoreDir: t.TempDir(), RedisPrefix: testkit.RedisPrefix(t, "app")}
}

// Start runs a process with cs on env; it stops with the test (or earlier
// through App.Stop, which is safe to call twice).
func Start(t *testing.T, env Env, cs []*contest.Contest, mutate ...func(*app.Options)) *app.App {
	t.Helper()
	opts := app.Options{
		HTTPAddr:    "127.0.0.1:0",
		Streams:     streams.Options{Port: -1, StoreDir: env.StoreDir, Partitions: 8},
		RedisURL:    testkit.RedisURL(),
		RedisPrefix: env.RedisPrefix,
		Contests:    cs,
		PostgresURL: env.PostgresURL,
		AdminToken:  AdminToken,
		RankerTick:  50 * time.Millisecond,
	}
	for _, m := range mutate {
		m(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, opts, Logger())
	if err != nil {
		cancel()
		t.Fatalf("app: %v", err)
	}
	a.Start(ctx)
	t.Cleanup(func() { a.Stop(); cancel() })
	return a
}

// Publish sends one event through the NATS door.
func Publish(t *testing.T, a *app.App, provider, user, eventID string, body []byte) {
	t.Helper()
	m := nats.NewMsg("events." + provider + "." + user)
	m.Data = body
	if eventID != "" {
		m.Header.Set("Nats-Msg-Id", eventID)
	}
	if _, err := a.Streams.JS.PublishMsg(context.Background(), m); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// Event is a valid event body.
func Event(id, user, provider string, ts time.Time, bet, win int64, market string) []byte {
	return []byte(fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"market":%q,`+
		`"game":{"id":"g_1","provider":%q,"type":"slot"},"bet":{"amount_minor":%d,"currency":"EUR"},`+
		`"win":{"amount_minor":%d},"round":{"duration_ms":1000}}`,
		id, ts.UTC().Format(time.RFC3339Nano), user, market, provider, bet, win))
}

// Settle waits until the scorer has processed the whole EVENTS stream and
// the ranker every standing, and SCORES stays still.
func Settle(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ev, err1 := a.Streams.JS.Stream(ctx, streams.Events)
		sc, err2 := a.Streams.JS.Stream(ctx, streams.Scores)
		if err1 == nil && err2 == nil {
			ei, _ := ev.Info(ctx)
			si, _ := sc.Info(ctx)
			upToDate, _ := a.Scorer.UpToDate(ctx) // shared mode too: every partition applied
			if ei != nil && si != nil && a.Scorer.CaughtUp() && a.Ranker.Ready() &&
				upToDate && a.Ranker.Processed() >= si.State.LastSeq {
				time.Sleep(200 * time.Millisecond)
				si2, _ := sc.Info(ctx)
				if si2 != nil && si2.State.LastSeq == si.State.LastSeq && a.Ranker.Processed() >= si2.State.LastSeq {
					return
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("pipeline did not settle within 60s")
}
