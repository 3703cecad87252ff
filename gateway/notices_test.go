package gateway_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/livetest"
)

type noticeMsg struct {
	Type, Contest, Kind, User string
	Top                       int
}

// readNotices reads c until want notices came (other messages skipped),
// failing after d.
func readNotices(t *testing.T, c *websocket.Conn, want int, d time.Duration) []noticeMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out []noticeMsg
	for len(out) < want {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v (notices so far %+v)", err, out)
		}
		var m noticeMsg
		if err := json.Unmarshal(data, &m); err == nil && m.Type == "notice" {
			out = append(out, m)
		}
	}
	return out
}

// TestNoticesOverWebSocket: the notifier's notices reach the player's own
// WebSocket as "type":"notice" messages, every one of a burst (not
// coalesced like ranks), and never another player's.
func TestNoticesOverWebSocket(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	alice, _, err := e.Dial(e.Player("alice"))
	if err != nil {
		t.Fatal(err)
	}
	defer alice.CloseNow()
	bob, _, err := e.Dial(e.Player("bob"))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.CloseNow()
	livetest.Subscribe(t, alice, livetest.ContestID)
	livetest.Subscribe(t, bob, livetest.ContestID)
	e.Event("alice", 10) // alone on the board: top 100, 50 and 10 at once
	got := readNotices(t, alice, 3, 20*time.Second)
	for i, top := range []int{100, 50, 10} {
		if m := got[i]; m.Kind != "entered_top" || m.Top != top || m.User != "alice" || m.Contest != livetest.ContestID {
			t.Fatalf("notice %d: %+v, want entered_top %d for alice", i, m, top)
		}
	}
	e.Event("bob", 5) // second: bob's own notices, none of alice's
	for _, m := range readNotices(t, bob, 3, 20*time.Second) {
		if m.User != "bob" {
			t.Fatalf("bob received %+v", m)
		}
	}
}
