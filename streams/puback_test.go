package streams

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

// TestPubAckResultServerAnswers publishes with core NATS to a real stream,
// as the HTTP door and the scorer do, and reads every kind of answer the
// server gives: a plain PubAck (fast path), a duplicate, a refusal (wrong expected stream,
// stream full) and the no-responders status of a subject no stream takes.
// Each is checked against the JetStream client's own reading of the same
// kind of publish.
func TestPubAckResultServerAnswers(t *testing.T) {
	_, nc, js := testkit.JetStream(t)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.*.*"},
		Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute, MaxMsgs: 2, Discard: jetstream.DiscardNew}); err != nil {
		t.Fatal(err)
	}
	ask := func(subj, id, stream string) *nats.Msg {
		t.Helper()
		m := nats.NewMsg(subj)
		m.Data = []byte(`{}`)
		if id != "" {
			m.Header.Set(jetstream.MsgIDHeader, id)
		}
		if stream != "" {
			m.Header.Set(jetstream.ExpectedStreamHeader, stream)
		}
		m.Reply = nc.NewInbox()
		answers := make(chan *nats.Msg, 1)
		sub, err := nc.ChanSubscribe(m.Reply, answers)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-answers:
			return r
		case <-time.After(5 * time.Second):
			t.Fatalf("no answer to %s", subj)
			return nil
		}
	}
	cases := []struct {
		name, subj, id, stream string
		dup                    bool
		wantErr                bool
	}{
		{name: "plain", subj: "events.acme.u1", id: "a", stream: "EVENTS"},
		{name: "duplicate", subj: "events.acme.u1", id: "a", stream: "EVENTS", dup: true},
		{name: "plain without id", subj: "events.acme.u2"},
		{name: "wrong expected stream", subj: "events.acme.u3", id: "b", stream: "OTHER", wantErr: true},
		{name: "stream full", subj: "events.acme.u4", id: "c", wantErr: true},
		{name: "no stream", subj: "nostream.x", wantErr: true},
	}
	for _, c := range cases {
		r := ask(c.subj, c.id, c.stream)
		dup, err := PubAckResult(r)
		if (err != nil) != c.wantErr || dup != c.dup {
			t.Errorf("%s: answer %q %v: duplicate %v, error %v; want duplicate %v, error %v",
				c.name, r.Data, r.Header, dup, err, c.dup, c.wantErr)
		}
	}
	// The no-responders answer keeps its cause.
	if _, err := PubAckResult(ask("nostream.y", "", "")); !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("no stream: %v, want ErrNoResponders", err)
	}
}

// TestPubAckResultShapes covers answers a server could give that the fast
// path must not take for a plain PubAck.
func TestPubAckResultShapes(t *testing.T) {
	cases := []struct {
		data    string
		dup     bool
		wantErr bool
	}{
		{data: `{"stream":"EVENTS","seq":7}`},
		{data: `{"stream":"EVENTS","domain":"hub","seq":7}`},
		{data: `{"stream":"EVENTS","seq":7,"duplicate": true}`, dup: true},
		{data: `{"stream":"EVENTS","seq":7,"duplicate":true}`, dup: true},
		{data: `{"stream":"EVENTS","seq":7,"duplicate":false}`},
		// A stream named like a key still reads right (the full decode).
		{data: `{"stream":"duplicate","seq":7}`},
		{data: `{"stream":"error","seq":7}`},
		{data: `{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"EVENTS","seq":0}`, wantErr: true},
		{data: `{"error":{"code":400,"description":"expected stream does not match"}}`, wantErr: true},
		{data: `{"stream":"EVENTS"`, wantErr: true},
		{data: `{"seq":7}`, wantErr: true},
		{data: `not json`, wantErr: true},
		{data: ``, wantErr: true},
	}
	for _, c := range cases {
		dup, err := PubAckResult(&nats.Msg{Data: []byte(c.data)})
		if (err != nil) != c.wantErr || dup != c.dup {
			t.Errorf("%q: duplicate %v, error %v; want duplicate %v, error %v", c.data, dup, err, c.dup, c.wantErr)
		}
	}
}
