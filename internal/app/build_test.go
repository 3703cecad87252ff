package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rankstream/rankstream/internal/db/dbtest"
	"github.com/rankstream/rankstream/streams"
)

var errInjected = errors.New("injected build failure")

// pgConnections counts the server's connections to database name.
func pgConnections(t *testing.T, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// stillOpen returns what New opened that is still open after a failed build.
func (a *App) stillOpen(t *testing.T, dbName string) []string {
	t.Helper()
	var open []string
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if a.Streams != nil {
		if nc := a.Streams.NC; nc != nil && !nc.IsClosed() {
			open = append(open, "nats connection")
		}
		if a.Streams.Server != nil && a.Streams.Server.Running() {
			open = append(open, "embedded nats-server")
		}
	}
	if a.Redis != nil && a.Redis.Ping(ctx).Err() == nil {
		open = append(open, "redis client")
	}
	if a.listener != nil {
		if c, err := net.DialTimeout("tcp", a.listener.Addr().String(), time.Second); err == nil {
			c.Close()
			open = append(open, "http listener")
		}
	}
	// Backends end a moment after their client closed the connection.
	deadline := time.Now().Add(5 * time.Second)
	for n := pgConnections(t, dbName); n > 0; n = pgConnections(t, dbName) {
		if time.Now().After(deadline) {
			open = append(open, fmt.Sprintf("%d postgres connections", n))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return open
}

// A build that fails at any step closes everything the steps before it
// opened: Postgres pools (the application's and the accounts'), the
// embedded server and the connection, Redis, the listener.
func TestFailingBuildClosesWhatWasOpened(t *testing.T) {
	pg := dbtest.New(t)
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	steps := len((&App{}).builders())
	for k := 1; k <= steps; k++ {
		opts := Options{HTTPAddr: "127.0.0.1:0", Streams: streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 2},
			RedisURL: "redis://127.0.0.1:6379/11", RedisPrefix: fmt.Sprintf("rsbuild:%d:%d:", os.Getpid(), k),
			PostgresURL: pg, AdminToken: "build-test", Instance: "build-test", RankerTick: 50 * time.Millisecond}
		a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		bs := a.builders()
		name := bs[k-1].name
		bs = append(bs[:k:k], builder{"failing", func(context.Context) error { return errInjected }})
		if err := a.build(context.Background(), bs); !errors.Is(err, errInjected) {
			t.Fatalf("failing after %q: build returned %v", name, err)
		}
		if open := a.stillOpen(t, dbName); len(open) > 0 {
			t.Errorf("failing after step %d (%q): still open: %s", k, name, strings.Join(open, ", "))
		}
	}
}
