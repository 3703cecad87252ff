package streams

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

// authServer starts an embedded server whose players are tokens "tok-<user>"
// ("exp-<user>" expires in 1s) and whose anonymous connections are providers.
func authServer(t *testing.T) *Streams {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	player := func(tok string) (string, time.Time, error) {
		switch {
		case strings.HasPrefix(tok, "tok-"):
			return strings.TrimPrefix(tok, "tok-"), time.Time{}, nil
		case strings.HasPrefix(tok, "exp-"):
			return strings.TrimPrefix(tok, "exp-"), time.Now().Add(time.Second), nil
		}
		return "", time.Time{}, ErrPlayerToken
	}
	s, err := Open(ctx, Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4, Auth: &Auth{
		AdminToken: "admin-secret", Player: player, Anonymous: ProviderPermissions()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// errCollector records the asynchronous errors of a connection.
type errCollector struct {
	mu   sync.Mutex
	errs []error
}

func (e *errCollector) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *errCollector) has(substr string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(substr)) {
			return true
		}
	}
	return false
}

// waitFor waits up to 5s for ok (testkit.Eventually).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, func() error {
		if ok() {
			return nil
		}
		return errors.New(what)
	})
}

// aliceOnAuthServer is authServer and player alice's connection to it,
// whose asynchronous errors (permission violations) ec collects; the
// connection closes with the test.
func aliceOnAuthServer(t *testing.T) (*Streams, *nats.Conn, *errCollector) {
	t.Helper()
	s := authServer(t)
	ec := &errCollector{}
	nc, err := nats.Connect(s.URL(), nats.Token("tok-alice"), nats.ErrorHandler(ec.handler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return s, nc, ec
}

func TestPlayerMaySubscribeOnlyToTopAndOwnSubject(t *testing.T) {
	s, nc, ec := aliceOnAuthServer(t)

	top, _ := nc.SubscribeSync(LiveTopSubject("c1"))
	own, _ := nc.SubscribeSync(LiveUserSubject("c1", "alice"))
	ownAll, _ := nc.SubscribeSync("lb.*.user.alice")
	other, _ := nc.SubscribeSync(LiveUserSubject("c1", "bob"))
	every, _ := nc.SubscribeSync("lb.>")
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "permission violations for bob's subject and lb.>", func() bool {
		return ec.has(`subscription to "lb.c1.user.bob"`) && ec.has(`subscription to "lb.>"`)
	})
	if ec.has(`subscription to "lb.c1.top"`) || ec.has(`subscription to "lb.c1.user.alice"`) || ec.has(`subscription to "lb.*.user.alice"`) {
		t.Fatalf("allowed subscriptions refused: %v", ec.errs)
	}

	// The app publishes on every subject; alice gets only hers.
	for _, subj := range []string{LiveTopSubject("c1"), LiveUserSubject("c1", "alice"), LiveUserSubject("c1", "bob")} {
		if err := s.NC.Publish(subj, []byte(subj)); err != nil {
			t.Fatal(err)
		}
	}
	s.NC.Flush()
	for _, sub := range []*nats.Subscription{top, own, ownAll} {
		if _, err := sub.NextMsg(2 * time.Second); err != nil {
			t.Fatalf("%s: %v", sub.Subject, err)
		}
	}
	for _, sub := range []*nats.Subscription{other, every} {
		if m, err := sub.NextMsg(200 * time.Millisecond); err == nil {
			t.Fatalf("refused subscription %s received %q", sub.Subject, m.Data)
		}
	}

	// A player publishes nothing: not events, not live subjects, no requests.
	spy, _ := s.NC.SubscribeSync(">")
	s.NC.Flush()
	nc.Publish("events.acme.alice", []byte(`{}`))
	nc.Publish(LiveUserSubject("c1", "alice"), []byte(`forged`))
	nc.Flush()
	waitFor(t, "publish violations", func() bool {
		return ec.has(`publish to "events.acme.alice"`) && ec.has(`publish to "lb.c1.user.alice"`)
	})
	if m, err := spy.NextMsg(200 * time.Millisecond); err == nil {
		t.Fatalf("player's publish got through: %s %q", m.Subject, m.Data)
	}
	if _, err := nc.Request("$JS.API.INFO", nil, time.Second); err == nil {
		t.Fatal("player could use the JetStream API")
	}
}

func TestConnectionsWithoutValidCredentialsRefused(t *testing.T) {
	s := authServer(t)
	for _, opt := range []nats.Option{nats.Token("forged"), nats.UserInfo("alice", "pw")} {
		nc, err := nats.Connect(s.URL(), opt, nats.MaxReconnects(0))
		if err == nil {
			nc.Close()
			t.Fatal("connection with bad credentials accepted")
		}
		if !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("want authorization error, got %v", err)
		}
	}
}

func TestExpiredPlayerTokenClosesConnection(t *testing.T) {
	s := authServer(t)
	closed := make(chan struct{})
	nc, err := nats.Connect(s.URL(), nats.Token("exp-carol"), nats.MaxReconnects(0),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open after the token expired")
	}
}

func TestAnonymousProviderPublishesEventsOnly(t *testing.T) {
	s := authServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ec := &errCollector{}
	nc, err := nats.Connect(s.URL(), nats.ErrorHandler(ec.handler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	m := nats.NewMsg("events.acme.u_1")
	m.Data = []byte(`{}`)
	m.Header.Set(HeaderMsgID, "e1")
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatalf("provider publish: %v", err)
	}
	nc.SubscribeSync("lb.>")
	nc.SubscribeSync(AppInboxPrefix + ".>")
	nc.Flush()
	waitFor(t, "provider subscription violations", func() bool {
		return ec.has(`subscription to "lb.>"`) && ec.has(`subscription to "`+AppInboxPrefix+`.>"`)
	})
	if _, err := js.Stream(ctx, Scores); err == nil {
		t.Fatal("anonymous connection could read stream info")
	}
}

func TestAdminTokenHasFullRights(t *testing.T) {
	s := authServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := nats.Connect(s.URL(), nats.Token("admin-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.Stream(ctx, Scores); err != nil {
		t.Fatalf("admin stream info: %v", err)
	}
}

func TestParseLiveSubject(t *testing.T) {
	for _, tc := range []struct {
		subj, c, u string
		ok         bool
	}{
		{LiveTopSubject("t_1"), "t_1", "", true},
		{LiveUserSubject("t_1", "u-9"), "t_1", "u-9", true},
		{"lb.t_1.user", "", "", false},
		{"lb.t_1.top.x", "", "", false},
		{"scores.a.b", "", "", false},
	} {
		c, u, ok := ParseLiveSubject(tc.subj)
		if c != tc.c || u != tc.u || ok != tc.ok {
			t.Errorf("%s: %q %q %v", tc.subj, c, u, ok)
		}
	}
}
