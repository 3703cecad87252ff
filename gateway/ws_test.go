package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/livetest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

func signed(t *testing.T, secret, sub, iss string, exp time.Time) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: sub, Issuer: iss,
		ExpiresAt: jwt.NewNumericDate(exp)}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRefusedWithoutValidToken(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	future := time.Now().Add(time.Hour)
	for name, tok := range map[string]string{
		"no token":         "",
		"expired":          signed(t, e.Secret, "alice", "rankstream", time.Now().Add(-time.Minute)),
		"forged signature": signed(t, "not-the-secret", "alice", "rankstream", future),
		"garbage":          "abc.def.ghi",
		"other issuer":     signed(t, e.Secret, "alice", "someone-else", future),
	} {
		c, resp, err := e.Dial(tok)
		if err == nil {
			c.CloseNow()
			t.Fatalf("%s: connection accepted", name)
		}
		if resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: want 401, got %v %v", name, resp, err)
		}
	}
	// ?token= works as well as the header; a bad one is refused the same way.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, e.WSURL("nope"), nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("bad ?token=: %v", err)
	}
	c, _, err := websocket.Dial(ctx, e.WSURL(signed(t, e.Secret, "alice", "rankstream", future)), nil)
	if err != nil {
		t.Fatalf("valid ?token=: %v", err)
	}
	c.CloseNow()
	// A plain GET with a valid token but no upgrade is not a WebSocket.
	req, _ := http.NewRequest("GET", e.Base+"/v1/ws", nil)
	req.Header.Set("Authorization", "Bearer "+signed(t, e.Secret, "alice", "rankstream", future))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols || resp.StatusCode == 200 {
		t.Fatalf("plain GET answered %d", resp.StatusCode)
	}
}

func TestSubscribeAnswersCurrentStateThenLive(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	tok := e.Player("alice")
	e.Event("alice", 100)
	e.Event("carol", 50)
	// Wait until the read model has both.
	testkit.Eventually(t, 10*time.Second, func() error {
		resp, err := http.Get(e.Base + "/v1/leaderboards/" + livetest.ContestID + "?me=alice")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var b struct{ Total int }
		if err := jsonDecode(resp, &b); err != nil {
			return err
		}
		if b.Total != 2 {
			return fmt.Errorf("board total %d, want 2", b.Total)
		}
		return nil
	})

	c := e.NewClient(tok)
	c.Subscribe(livetest.ContestID)
	first, ok1 := c.Next(5 * time.Second)
	second, ok2 := c.Next(5 * time.Second)
	if !ok1 || !ok2 {
		t.Fatal("no answer to subscribe")
	}
	if first.Type != "top" || len(first.Top) != 2 || first.Top[0].User != "alice" || first.Top[0].Score != 100 ||
		first.Contest != livetest.ContestID || first.Window != e.Window.UTC().Format(time.RFC3339) {
		t.Fatalf("first answer %+v", first)
	}
	if second.Type != "rank" || second.User != "alice" || second.Pos == nil || *second.Pos != 1 || second.Score != 100 ||
		second.GapToNext != nil || second.Total != 2 {
		t.Fatalf("second answer %+v", second)
	}

	// Bob overtakes alice: she is told at once although her score did not move.
	t0 := time.Now()
	e.Event("bob", 300)
	var ranks []livetest.Msg
	var overtaken, top *livetest.Msg
	c.WaitFor(10*time.Second, "overtaken rank and new top", func(m livetest.Msg) bool {
		return overtaken != nil && top != nil
	}, func(m livetest.Msg) {
		switch {
		case m.Type == "rank":
			ranks = append(ranks, m)
			if m.Pos != nil && *m.Pos == 2 {
				overtaken = &m
			}
		case m.Type == "top" && len(m.Top) == 3 && m.Top[0].User == "bob":
			top = &m
		}
	})
	if m := *overtaken; m.Moved != -1 || m.Score != 100 || m.GapToNext == nil || *m.GapToNext != 200 || m.User != "alice" {
		t.Fatalf("overtaken %+v", m)
	}
	t.Logf("overtaken push after %s", time.Since(t0))

	// Her own accrual: +250 takes her back to the top.
	e.Event("alice", 250)
	m := c.WaitFor(10*time.Second, "own rank", func(m livetest.Msg) bool { return m.Type == "rank" && m.Score == 350 },
		func(m livetest.Msg) {
			if m.Type == "rank" {
				ranks = append(ranks, m)
			}
		})
	if *m.Pos != 1 || m.Moved != 1 || m.Points != 250 || m.GapToNext != nil {
		t.Fatalf("own rank %+v", m)
	}
	for _, r := range ranks {
		if r.User != "alice" {
			t.Fatalf("alice received %s's rank", r.User)
		}
	}
}

func TestPlayersReceiveOnlyTheirOwnRank(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	alice, bob := e.NewClient(e.Player("alice")), e.NewClient(e.Player("bob"))
	alice.Subscribe(livetest.ContestID)
	bob.Subscribe(livetest.ContestID)
	for i := 0; i < 5; i++ {
		e.Event("alice", 10)
		e.Event("bob", 11)
		e.Event("dave", 12)
		time.Sleep(60 * time.Millisecond)
	}
	for _, tc := range []struct {
		c    *livetest.Client
		user string
	}{{alice, "alice"}, {bob, "bob"}} {
		tc.c.WaitFor(10*time.Second, tc.user+" final score", func(m livetest.Msg) bool {
			return m.Type == "rank" && m.Score >= 50
		}, func(m livetest.Msg) {
			if m.Type == "rank" && m.User != tc.user {
				t.Fatalf("%s received %s's rank", tc.user, m.User)
			}
		})
	}
}

func TestSubscribeErrors(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	c := e.NewClient(e.Player("alice"))
	c.Subscribe("no_such_contest")
	if m, ok := c.Next(5 * time.Second); !ok || m.Type != "error" || m.Error != "unknown contest" {
		t.Fatalf("unknown contest: %+v", m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Conn.Write(ctx, websocket.MessageText, []byte(`{"op":"dance"}`))
	if m, ok := c.Next(5 * time.Second); !ok || m.Type != "error" {
		t.Fatalf("unknown op: %+v", m)
	}
	// Unsubscribed: no more messages of the contest.
	c.Subscribe(livetest.ContestID)
	c.WaitFor(5*time.Second, "snapshot", func(m livetest.Msg) bool { return m.Type == "rank" }, nil)
	c.Conn.Write(ctx, websocket.MessageText, []byte(`{"op":"unsubscribe","contest":"`+livetest.ContestID+`"}`))
	time.Sleep(100 * time.Millisecond)
	e.Event("alice", 10)
	if m, ok := c.Next(time.Second); ok {
		t.Fatalf("message after unsubscribe: %+v", m)
	}
}

func TestConnectionClosedWhenTokenExpires(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{JWTTTL: 2 * time.Second})
	c := e.NewClient(e.Player("alice"))
	c.Subscribe(livetest.ContestID)
	select {
	case err := <-c.Closed:
		if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Fatalf("closed with %v", err)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("connection open after the token expired")
	}
}

// A client that never reads must not hold up the others: the server keeps
// only the latest state per subject for it.
func TestSlowClientDoesNotSlowOthers(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	slowTok, fastTok := e.Player("slow"), e.Player("fast")
	slow, _, err := e.Dial(slowTok) // nobody reads it
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	livetest.Subscribe(t, slow, livetest.ContestID)
	fast := e.NewClient(fastTok)
	fast.Subscribe(livetest.ContestID)
	fast.WaitFor(5*time.Second, "fast snapshot", func(m livetest.Msg) bool { return m.Type == "rank" }, nil)
	time.Sleep(200 * time.Millisecond)

	// 3000 top messages of 16 KiB (~48 MB) straight on the live subject: far
	// more than the slow client's socket buffers hold.
	pad := make([]byte, 16<<10)
	for i := range pad {
		pad[i] = 'x'
	}
	subj := streams.LiveTopSubject(livetest.ContestID)
	n := 3000
	t0 := time.Now()
	for i := 1; i <= n; i++ {
		body := []byte(`{"type":"top","contest":"` + livetest.ContestID + `","total":` + itoa(i) + `,"top":[],"pad":"` + string(pad) + `"}`)
		if err := e.App.Streams.NC.Publish(subj, body); err != nil {
			t.Fatal(err)
		}
	}
	e.App.Streams.NC.Flush()
	got := 0
	fast.WaitFor(30*time.Second, "fast client's last message", func(m livetest.Msg) bool {
		return m.Type == "top" && m.Total == n
	}, func(livetest.Msg) { got++ })
	t.Logf("fast client: %d of %d messages, the last after %s", got, n, time.Since(t0))
	if time.Since(t0) > 15*time.Second {
		t.Fatalf("fast client held up: %s", time.Since(t0))
	}
	// The slow client now reads: it gets the latest state, not the backlog.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	read := 0
	for {
		_, data, err := slow.Read(ctx)
		if err != nil {
			t.Fatalf("slow client after %d messages: %v", read, err)
		}
		read++
		var m livetest.Msg
		if jsonUnmarshal(data, &m) == nil && m.Type == "top" && m.Total == n {
			break
		}
	}
	if read >= n {
		t.Fatalf("slow client read %d messages: nothing was coalesced", read)
	}
	t.Logf("slow client: %d messages to reach the latest state", read)
}
