package notifier_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/livetest"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/streams"
)

type asyncErrs struct {
	mu   sync.Mutex
	errs []string
}

func (a *asyncErrs) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	a.mu.Lock()
	a.errs = append(a.errs, err.Error())
	a.mu.Unlock()
}

func (a *asyncErrs) has(s string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.errs {
		if strings.Contains(strings.ToLower(e), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func nextRank(t *testing.T, sub *nats.Subscription, d time.Duration) notifier.RankMsg {
	t.Helper()
	m, err := sub.NextMsg(d)
	if err != nil {
		t.Fatalf("%s: %v", sub.Subject, err)
	}
	var r notifier.RankMsg
	if err := json.Unmarshal(m.Data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// A player logged in on the page connects to the embedded NATS server with
// the same token: own subject and tops only, nothing published.
func TestPlayerOverNATS(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{NATSPlayerAuth: true})
	tok := e.Player("alice")
	errs := &asyncErrs{}
	nc, err := nats.Connect(e.App.Streams.URL(), nats.Token(tok), nats.ErrorHandler(errs.handler))
	if err != nil {
		t.Fatalf("player connect: %v", err)
	}
	defer nc.Close()
	own, _ := nc.SubscribeSync(streams.LiveUserSubject(livetest.ContestID, "alice"))
	top, _ := nc.SubscribeSync(streams.LiveTopSubject(livetest.ContestID))
	other, _ := nc.SubscribeSync(streams.LiveUserSubject(livetest.ContestID, "bob"))
	nc.Flush()
	livetest.Poll(t, 5*time.Second, "refusal of bob's subject", func() bool {
		return errs.has(`subscription to "lb.` + livetest.ContestID + `.user.bob"`)
	})
	// The notifier learns of alice's NATS subscription (she is watched).
	board := contest.BoardID{Contest: livetest.ContestID, Window: e.Window.Unix()}
	livetest.Poll(t, 10*time.Second, "alice watched", func() bool {
		for _, u := range e.App.Live.Notifier.Watched(board) {
			if u == "alice" {
				return true
			}
		}
		return false
	})

	e.Event("alice", 100)
	if r := nextRank(t, own, 10*time.Second); *r.Pos != 1 || r.Score != 100 || r.Points != 100 || r.Moved != 0 {
		t.Fatalf("alice %+v", r)
	}
	if _, err := top.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("top: %v", err)
	}
	e.Event("bob", 300) // bob overtakes alice
	if r := nextRank(t, own, 10*time.Second); *r.Pos != 2 || r.Moved != -1 || r.Score != 100 || *r.GapToNext != 200 {
		t.Fatalf("alice overtaken %+v", r)
	}
	if m, err := other.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatalf("alice received bob's message %q", m.Data)
	}

	// Publishing anything is refused.
	nc.Publish("events.acme.alice", []byte(`{}`))
	nc.Publish(streams.LiveUserSubject(livetest.ContestID, "alice"), []byte(`{"pos":1}`))
	nc.Flush()
	livetest.Poll(t, 5*time.Second, "publish refused", func() bool {
		return errs.has(`publish to "events.acme.alice"`) && errs.has(`publish to "lb.`)
	})
	if _, err := own.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatal("alice's forged message was delivered")
	}
}

func TestNATSConnectionsRefused(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{NATSPlayerAuth: true})
	past := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: "alice", Issuer: "rankstream",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Minute))})
	expired, _ := past.SignedString([]byte(e.Secret))
	forgedClaims := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: "alice", Issuer: "rankstream",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))})
	forged, _ := forgedClaims.SignedString([]byte("guess"))
	for name, tok := range map[string]string{"expired": expired, "forged": forged} {
		nc, err := nats.Connect(e.App.Streams.URL(), nats.Token(tok), nats.MaxReconnects(0))
		if err == nil {
			nc.Close()
			t.Fatalf("%s token accepted", name)
		}
		if !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Without credentials: refused, since providers have their own
	// (CONTRACT.md §8). Provider acme publishes its events but reads no
	// live subject.
	if nc, err := nats.Connect(e.App.Streams.URL(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("anonymous connection accepted although providers have credentials")
	}
	errs := &asyncErrs{}
	nc, err := nats.Connect(e.App.Streams.URL(), nats.UserInfo("acme", "acme-secret"), nats.ErrorHandler(errs.handler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Request("events.acme.zed", []byte(`{}`), 5*time.Second); err != nil {
		t.Fatalf("provider publish: %v", err)
	}
	nc.SubscribeSync("lb.>")
	nc.Flush()
	livetest.Poll(t, 5*time.Second, "lb.> refused", func() bool { return errs.has(`subscription to "lb.>"`) })
	// The admin token has full rights.
	adm, err := nats.Connect(e.App.Streams.URL(), nats.Token("livetest-admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := adm.Request("$JS.API.INFO", nil, 5*time.Second); err != nil {
		t.Fatalf("admin: %v", err)
	}
}

// Through the whole pipeline a burst of accruals gives at most 4 messages a
// second on the player's subject, the last one with the final score.
func TestPipelineCoalescing(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	var mu sync.Mutex
	var at []time.Time
	var last notifier.RankMsg
	sub, err := e.App.Streams.NC.Subscribe(streams.LiveUserSubject(livetest.ContestID, "alice"), func(m *nats.Msg) {
		var r notifier.RankMsg
		_ = json.Unmarshal(m.Data, &r)
		mu.Lock()
		at = append(at, time.Now())
		last = r
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for i := 0; i < 60; i++ { // 60 accruals over ~2.4s
		e.Event("alice", 10)
		time.Sleep(40 * time.Millisecond)
	}
	livetest.Poll(t, 10*time.Second, "final score", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return last.Score == 600
	})
	mu.Lock()
	defer mu.Unlock()
	for i := range at {
		k := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			k++
		}
		if k > 4 {
			t.Fatalf("%d messages within a second: %v", k, at)
		}
	}
	if len(at) < 6 {
		t.Fatalf("only %d messages for 60 accruals over 2.4s", len(at))
	}
	t.Logf("%d messages for 60 accruals", len(at))
}

// Without nats.auth the embedded server is open, as before: any connection
// reads the live subjects (what a provider-side integration or a test does).
func TestOpenServerSubscriberGetsPushes(t *testing.T) {
	e := livetest.Start(t, app.LiveOptions{})
	nc, err := nats.Connect(e.App.Streams.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, _ := nc.SubscribeSync(streams.LiveUserSubject(livetest.ContestID, "zoe"))
	nc.Flush()
	e.Event("zoe", 70)
	if r := nextRank(t, sub, 10*time.Second); *r.Pos != 1 || r.Score != 70 || r.Points != 70 || r.Contest != livetest.ContestID {
		t.Fatalf("zoe %+v", r)
	}
}
