package livetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Client is a WebSocket whose messages a goroutine reads into a channel, so
// waiting for one never closes the connection (a Read whose context ends
// does).
type Client struct {
	t    testing.TB
	Conn *websocket.Conn
	msgs chan Msg
	// Closed receives the error that ended the reader.
	Closed chan error
}

// NewClient dials with token and starts reading.
func (e *Env) NewClient(token string) *Client {
	e.T.Helper()
	c, _, err := e.Dial(token)
	if err != nil {
		e.T.Fatalf("dial: %v", err)
	}
	cl := &Client{t: e.T, Conn: c, msgs: make(chan Msg, 1024), Closed: make(chan error, 1)}
	go func() {
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				cl.Closed <- err
				close(cl.msgs)
				return
			}
			var m Msg
			if json.Unmarshal(data, &m) == nil {
				cl.msgs <- m
			}
		}
	}()
	e.T.Cleanup(func() { _ = c.CloseNow() })
	return cl
}

// Subscribe sends the subscribe op.
func (c *Client) Subscribe(contestID string) { Subscribe(c.t, c.Conn, contestID) }

// Next returns the next message, ok false when none came within d.
func (c *Client) Next(d time.Duration) (Msg, bool) {
	select {
	case m, ok := <-c.msgs:
		return m, ok
	case <-time.After(d):
		return Msg{}, false
	}
}

// WaitFor returns the first message for which ok is true, failing after d;
// every message read on the way is passed to seen (may be nil).
func (c *Client) WaitFor(d time.Duration, what string, ok func(Msg) bool, seen func(Msg)) Msg {
	c.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case m, open := <-c.msgs:
			if !open {
				c.t.Fatalf("websocket: %s: connection closed", what)
			}
			if seen != nil {
				seen(m)
			}
			if ok(m) {
				return m
			}
		case <-timeout:
			c.t.Fatalf("websocket: %s: not within %s", what, d)
		}
	}
}
