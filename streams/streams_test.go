package streams

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// openEmbedded opens the streams on an embedded server of their own with
// the given partitions; the 20 s context and the streams end with the test.
func openEmbedded(t *testing.T, partitions int) (context.Context, *Streams) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := Open(ctx, Options{Port: -1, StoreDir: t.TempDir(), Partitions: partitions}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return ctx, s
}

func TestOpenEmbeddedPartitionsEvents(t *testing.T) {
	ctx, s := openEmbedded(t, 8)
	seen := map[string]int{}
	for _, u := range []string{"u_1", "u_2", "u_3", "u_1", "alice"} {
		m := nats.NewMsg("events.acme." + u)
		m.Data = []byte(`{}`)
		if _, err := s.JS.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := s.JS.OrderedConsumer(ctx, Events, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		p, prov, user, ok := ParseEventSubject(msg.Subject())
		if !ok || prov != "acme" || p < 0 || p >= 8 {
			t.Fatalf("bad stored subject %q", msg.Subject())
		}
		key := user
		if prev, ok := seen[key]; ok && prev != p {
			t.Fatalf("user %s on partitions %d and %d", user, prev, p)
		}
		seen[key] = p
	}
	// Same user always same partition; the set of users is complete.
	if len(seen) != 4 {
		t.Fatalf("users seen %v", seen)
	}
}

func TestEnsureRefusesPartitionChange(t *testing.T) {
	ctx, s := openEmbedded(t, 8)
	s2 := &Streams{Opts: s.Opts, NC: s.NC, JS: s.JS}
	s2.Opts.Partitions = 16
	if err := s2.Ensure(ctx); err == nil {
		t.Fatal("expected partition change to be refused")
	}
}

func TestScoreSubjectRoundTrip(t *testing.T) {
	cases := []struct {
		c    string
		w    int64
		div  string
		user string
	}{{"t_1", 1700000000, "", "u_1"}, {"x-y", 0, "DE", "abc-_"},
		{"c", 1, "live.casino", "u"}, {"c", 1, "a b", "u"}, {"c", 1, "Köln", "u"}, {"c", 1, "*", "u"}, {"c", 1, ">", "u"}, {"c", 1, "~", "u"}}
	for _, tc := range cases {
		subj := ScoreSubject(tc.c, tc.w, tc.div, tc.user)
		if toks := strings.Split(subj, "."); len(toks) != 5 || strings.ContainsAny(subj, " *>") {
			t.Fatalf("division %q gives subject %q: not five safe tokens", tc.div, subj)
		}
		c, w, d, u, ok := ParseScoreSubject(subj)
		if !ok || c != tc.c || w != tc.w || d != tc.div || u != tc.user {
			t.Fatalf("round trip %q: %v %v %v %v %v", subj, c, w, d, u, ok)
		}
	}
	if _, _, _, _, ok := ParseScoreSubject("scores.a.b"); ok {
		t.Fatal("short subject accepted")
	}
}
