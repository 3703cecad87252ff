package streams

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestPlayerNoticeSubjects: a player may subscribe to its own notice
// subject and receives its notices; another player's is refused.
func TestPlayerNoticeSubjects(t *testing.T) {
	s, nc, ec := aliceOnAuthServer(t)
	own, _ := nc.SubscribeSync(LiveNoticeSubject("c1", "alice"))
	ownAll, _ := nc.SubscribeSync("lb.*.user.alice.notice")
	other, _ := nc.SubscribeSync(LiveNoticeSubject("c1", "bob"))
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "permission violation for bob's notices", func() bool {
		return ec.has(`subscription to "lb.c1.user.bob.notice"`)
	})
	if ec.has(`subscription to "lb.c1.user.alice.notice"`) || ec.has(`subscription to "lb.*.user.alice.notice"`) {
		t.Fatalf("own notice subscriptions refused: %v", ec.errs)
	}
	for _, u := range []string{"alice", "bob"} {
		if err := s.NC.Publish(LiveNoticeSubject("c1", u), []byte(u)); err != nil {
			t.Fatal(err)
		}
	}
	s.NC.Flush()
	for _, sub := range []*nats.Subscription{own, ownAll} {
		if m, err := sub.NextMsg(2 * time.Second); err != nil || string(m.Data) != "alice" {
			t.Fatalf("%s: %v %v", sub.Subject, m, err)
		}
	}
	if m, err := other.NextMsg(200 * time.Millisecond); err == nil {
		t.Fatalf("refused subscription received %q", m.Data)
	}
}

func TestParseNoticeSubject(t *testing.T) {
	for subj, want := range map[string]string{
		"lb.c1.user.u_1.notice": "c1 u_1 true",
		"lb.c1.user.u_1":        "  false",
		"lb.c1.user..notice":    "  false",
		"lb.c1.top.x.notice":    "  false",
	} {
		c, u, ok := ParseNoticeSubject(subj)
		got := c + " " + u + " " + map[bool]string{true: "true", false: "false"}[ok]
		if got != want {
			t.Errorf("%s: %q, want %q", subj, got, want)
		}
	}
	if got := LiveNoticeSubject("c", "u"); got != "lb.c.user.u.notice" {
		t.Errorf("subject %q", got)
	}
}
