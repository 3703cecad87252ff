package streams

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// providerServer: providers acme and rival with NATS passwords, anonymous
// connections may only listen (the app's setup once providers exist).
func providerServer(t *testing.T) *Streams {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, Options{Port: -1, StoreDir: t.TempDir(), Partitions: 4, Auth: &Auth{
		AdminToken: "admin-secret", Providers: map[string]string{"acme": "acme-pw", "rival": "rival-pw"},
		Anonymous: ListenerPermissions()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func publishEvent(ctx context.Context, t *testing.T, nc *nats.Conn, subj, id string) error {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(subj)
	m.Data = []byte(`{}`)
	m.Header.Set(HeaderMsgID, id)
	_, err = js.PublishMsg(ctx, m, jetstream.WithRetryAttempts(0))
	return err
}

func TestProviderPublishesOwnEventsOnly(t *testing.T) {
	s := providerServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ec := &errCollector{}
	nc, err := nats.Connect(s.URL(), nats.UserInfo("acme", "acme-pw"), nats.ErrorHandler(ec.handler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := publishEvent(ctx, t, nc, "events.acme.u_1", "e1"); err != nil {
		t.Fatalf("acme publishing its own event: %v", err)
	}
	// Publishing as rival: the server drops it (a permissions violation),
	// so no ack comes and nothing is stored.
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	err = publishEvent(pctx, t, nc, "events.rival.u_1", "e2")
	pcancel()
	if err == nil {
		t.Fatal("acme published an event as rival")
	}
	waitFor(t, "publish violation reported", func() bool { return ec.has(`publish to "events.rival.u_1"`) })
	info, err := s.JS.Stream(ctx, Events)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Fatalf("EVENTS holds %d messages, want acme's 1", n)
	}
}

func TestForgedProviderCredentialsRefused(t *testing.T) {
	s := providerServer(t)
	for _, opt := range []nats.Option{nats.UserInfo("acme", "rival-pw"), nats.UserInfo("acme", ""),
		nats.UserInfo("nobody", "acme-pw"), nats.Token("acme-pw")} {
		nc, err := nats.Connect(s.URL(), opt, nats.MaxReconnects(0))
		if err == nil {
			nc.Close()
			t.Fatal("connection with forged provider credentials accepted")
		}
		if !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("want authorization error, got %v", err)
		}
	}
}

func TestAnonymousPublishRefusedOnceProvidersConfigured(t *testing.T) {
	s := providerServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ec := &errCollector{}
	nc, err := nats.Connect(s.URL(), nats.ErrorHandler(ec.handler))
	if err != nil {
		t.Fatalf("anonymous listener refused: %v", err)
	}
	defer nc.Close()
	if err := nc.Publish("events.acme.u_1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	waitFor(t, "anonymous publish violation", func() bool { return ec.has(`publish to "events.acme.u_1"`) })
	// It may still listen to the live subjects.
	sub, err := nc.SubscribeSync("lb.c1.top")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	if err := s.NC.Publish("lb.c1.top", []byte(`{"top":[]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("anonymous listener got no live message: %v", err)
	}
	st, _ := s.JS.Stream(ctx, Events)
	if n := st.CachedInfo().State.Msgs; n != 0 {
		t.Fatalf("EVENTS holds %d messages after an anonymous publish", n)
	}
}
