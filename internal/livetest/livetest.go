// Package livetest starts the whole process in-process for tests of the live
// push: embedded nats-server, scorer, ranker, notifier, the API with
// accounts, WebSocket and live page, a fresh Postgres database and Redis. No
// part is mocked.
package livetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// ContestID is the test contest: points = bet (wager), sum, a window from an
// hour ago to an hour ahead; a ladder pays places 1 (5000) and 2-3 (2000 EUR
// minor units each).
const ContestID = "live_sprint"

// Env is a running process.
type Env struct {
	T      testing.TB
	App    *app.App
	Base   string // http://host:port
	Secret string // the JWT secret
	Window time.Time
	seq    atomic.Int64
}

// Logger is testkit.Logger: quiet unless RANKSTREAM_TEST_LOG is set.
func Logger() *slog.Logger { return testkit.Logger() }

// Contest returns the test contest.
func Contest(t testing.TB, now time.Time) *contest.Contest {
	t.Helper()
	yml := fmt.Sprintf(`id: %s
title: Live sprint
window: {start: %s, end: %s}
lateness: 30s
scope: {providers: [acme]}
scoring: {model: wager}
leaderboard: {type: sum, tiebreakers: [earliest_finish]}
rewards:
  pool: {currency: EUR, total_minor: 10000}
  distribution: ladder
  ladder: [{ranks: "1", share: 0.5}, {ranks: "2-3", share: 0.2}]
  dispute_window: 0s
`, ContestID, now.Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339), now.Add(time.Hour).Truncate(time.Second).Format(time.RFC3339))
	c, err := contest.Parse("live.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Start runs the process with live (JWTSecret defaults to a test secret)
// and waits until it is ready.
func Start(t testing.TB, live app.LiveOptions) *Env {
	t.Helper()
	return StartWith(t, live, nil)
}

// StartWith is Start with more options set by more (e.g. missions).
func StartWith(t testing.TB, live app.LiveOptions, more func(now time.Time, o *app.Options)) *Env {
	t.Helper()
	if live.JWTSecret == "" {
		live.JWTSecret = "livetest-secret"
	}
	now := time.Now().UTC()
	c := Contest(t, now)
	prefix := testkit.RedisPrefix(t, "live")
	ctx := context.Background()
	opts := app.Options{
		HTTPAddr:    "127.0.0.1:0",
		Streams:     streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 8},
		RedisURL:    testkit.RedisURL(),
		RedisPrefix: prefix,
		Contests:    []*contest.Contest{c},
		Providers:   map[string]string{"acme": "acme-secret"},
		PostgresURL: testkit.Postgres(t),
		AdminToken:  "livetest-admin",
		RankerTick:  50 * time.Millisecond,
		Live:        live,
	}
	if more != nil {
		more(now, &opts)
	}
	a, err := app.New(ctx, opts, testkit.Logger())
	if err != nil {
		t.Fatal(err)
	}
	a.Start(ctx)
	e := &Env{T: t, App: a, Base: "http://" + a.Addr(), Secret: live.JWTSecret, Window: c.Window.Start}
	t.Cleanup(a.Stop)
	testkit.Eventually(t, 30*time.Second, func() error {
		if ok, why := a.Ready(); !ok {
			return fmt.Errorf("process not ready: %s", why)
		}
		return nil
	})
	return e
}

// Poll calls ok until it is true, failing the test after d. Prefer
// testkit.Eventually, whose condition says why it does not hold yet.
func Poll(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	testkit.Eventually(t, d, func() error {
		if ok() {
			return nil
		}
		return errors.New(what)
	})
}

// PostJSON posts body and decodes the answer.
func (e *Env) PostJSON(path string, body any) (int, map[string]any) {
	e.T.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.Base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// Player registers login and logs in; it returns the token.
func (e *Env) Player(login string) string {
	e.T.Helper()
	cred := map[string]string{"login": login, "password": "livetest password 42"}
	if code, body := e.PostJSON("/v1/auth/register", cred); code != http.StatusCreated {
		e.T.Fatalf("register %s: %d %v", login, code, body)
	}
	code, body := e.PostJSON("/v1/auth/login", cred)
	tok, _ := body["token"].(string)
	if code != http.StatusOK || tok == "" {
		e.T.Fatalf("login %s: %d %v", login, code, body)
	}
	return tok
}

// Event publishes a round_end of user with bet (= points) through the NATS
// door and waits for the ack; it returns when JetStream acknowledged it.
func (e *Env) Event(user string, bet int64) {
	e.T.Helper()
	n := e.seq.Add(1)
	id := fmt.Sprintf("lt-%d-%d", time.Now().UnixNano(), n)
	body := fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"game":{"id":"g_1","provider":"acme"},"bet":{"amount_minor":%d,"currency":"EUR"}}`,
		id, time.Now().UTC().Format(time.RFC3339Nano), user, bet)
	m := nats.NewMsg("events.acme." + user)
	m.Data = []byte(body)
	m.Header.Set("Nats-Msg-Id", id)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.App.Streams.JS.PublishMsg(ctx, m); err != nil {
		e.T.Fatalf("publish: %v", err)
	}
}

// WSURL is the WebSocket URL, with ?token= when token is set.
func (e *Env) WSURL(token string) string {
	u := "ws" + strings.TrimPrefix(e.Base, "http") + "/v1/ws"
	if token != "" {
		u += "?token=" + token
	}
	return u
}

// Dial opens a WebSocket with the token in the Authorization header.
func (e *Env) Dial(token string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return websocket.Dial(ctx, e.WSURL(""), &websocket.DialOptions{HTTPHeader: h})
}

// Msg is any live message read from a WebSocket.
type Msg struct {
	Type      string `json:"type"`
	Contest   string `json:"contest"`
	Window    string `json:"window"`
	User      string `json:"user"`
	Pos       *int   `json:"pos"`
	Score     int64  `json:"score"`
	GapToNext *int64 `json:"gap_to_next"`
	Moved     int    `json:"moved"`
	Points    int64  `json:"points"`
	Total     int    `json:"total"`
	Error     string `json:"error"`
	Top       []struct {
		Pos   int    `json:"pos"`
		User  string `json:"user"`
		Score int64  `json:"score"`
	} `json:"top"`
}

// Read reads one message within d.
func Read(t testing.TB, c *websocket.Conn, d time.Duration) (Msg, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		return Msg{}, err
	}
	var m Msg
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("bad message %q: %v", data, err)
	}
	return m, nil
}

// Subscribe sends the subscribe op.
func Subscribe(t testing.TB, c *websocket.Conn, contestID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"op":"subscribe","contest":"`+contestID+`"}`)); err != nil {
		t.Fatal(err)
	}
}
