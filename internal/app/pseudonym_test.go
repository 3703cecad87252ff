package app_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/livetest"
	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/streams"
)

// With privacy.pseudonym_key the public tops (API top/around, lb.<c>.top)
// show keyed pseudonyms; the asking user still sees their own id.
func TestPseudonymsOnPublicTops(t *testing.T) {
	const key = "pseudonym-key-0123456789"
	ps := pseudonym.New(key)
	now := time.Now().UTC()
	c := livetest.Contest(t, now)
	a := apptest.Start(t, apptest.NewEnv(t), []*contest.Contest{c}, func(o *app.Options) { o.PseudonymKey = key })
	tops := make(chan notifier.TopMsg, 16)
	sub, err := a.Streams.NC.Subscribe(streams.LiveTopSubject(c.ID), func(m *nats.Msg) {
		var tm notifier.TopMsg
		if json.Unmarshal(m.Data, &tm) == nil {
			tops <- tm
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	apptest.Publish(t, a, "acme", "u_a", "e1", apptest.Event("e1", "u_a", "acme", now, 300, 0, "DE"))
	apptest.Publish(t, a, "acme", "u_b", "e2", apptest.Event("e2", "u_b", "acme", now, 200, 0, "DE"))
	apptest.Settle(t, a)

	var body struct {
		Top, Around []struct {
			Pos  int
			User string
		}
	}
	livetest.Poll(t, 10*time.Second, "both on the board", func() bool {
		resp, err := http.Get(a.BaseURL() + "/v1/leaderboards/" + c.ID + "?me=u_b&around=1")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&body) == nil && len(body.Top) == 2
	})
	if body.Top[0].User != ps("u_a") || body.Top[1].User != "u_b" {
		t.Fatalf("top %+v: want u_a's pseudonym %s, then u_b's own id", body.Top, ps("u_a"))
	}
	if len(body.Around) != 2 || body.Around[0].User != ps("u_a") || body.Around[1].User != "u_b" {
		t.Fatalf("around %+v", body.Around)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case tm := <-tops:
			if len(tm.Top) < 2 {
				continue
			}
			if tm.Top[0].User != ps("u_a") || tm.Top[1].User != ps("u_b") {
				t.Fatalf("lb.top rows %+v show ids", tm.Top)
			}
			return
		case <-deadline:
			t.Fatal("no top message with both users")
		}
	}
}
