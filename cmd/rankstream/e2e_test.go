package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/internal/testkit"
)

// TestEndToEndProcess starts `rankstream run` as a process with its own
// config and talks to it only over HTTP and NATS, as a provider and a player.
func TestEndToEndProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	now := time.Now().UTC()
	e := newProcEnv(t, true, map[string]string{"sprint.yml": sumContest("e2e_sprint", "E2E sprint", now, ", cap_per_event: 1000")})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e.ctx = ctx
	natsPort := testkit.FreePort(t)
	p := e.start("rankstream", fmt.Sprintf(`nats: {port: %d, store_dir: %s}
redis: {url: "%s", prefix: "%s"}
contests_dir: %s
providers: {acme: e2e-secret}
`, natsPort, filepath.Join(e.dir, "nats"), testkit.RedisURL(), testkit.RedisPrefix(t, "rse2e"), e.contests), "")
	defer e.stop()
	waitReady(t, p, 30*time.Second)
	e2eProvide(t, p.base(), natsPort, now)
	e2ePlayerView(t, p.base())
}

// e2eEvent is a round_end event of provider acme.
func e2eEvent(id, user string, bet int, ts time.Time) map[string]any {
	return map[string]any{"event_id": id, "ts": ts.Format(time.RFC3339Nano), "type": "round_end", "user_id": user,
		"game": map[string]any{"id": "g_1", "provider": "acme"}, "bet": map[string]any{"amount_minor": bet, "currency": "EUR"}}
}

// e2eProvide sends as provider acme: over HTTP two valid events and one
// invalid, over NATS one that makes bob overtake alice, and garbage.
func e2eProvide(t *testing.T, base string, natsPort int, now time.Time) {
	t.Helper()
	body, _ := json.Marshal([]any{e2eEvent("e1", "alice", 300, now), e2eEvent("e2", "bob", 200, now), map[string]any{"event_id": "e3"}})
	req := testkit.SignedRequest(t, base+"/v1/events", "acme", "e2e-secret", body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ack struct {
		Accepted, Duplicates int
		Rejected             []map[string]any
	}
	json.NewDecoder(resp.Body).Decode(&ack)
	resp.Body.Close()
	if resp.StatusCode != 202 || ack.Accepted != 2 || len(ack.Rejected) != 1 {
		t.Fatalf("webhook answer %d %+v", resp.StatusCode, ack)
	}
	// Provider over NATS: bob overtakes alice; garbage does not stop anything.
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", natsPort), nats.UserInfo("acme", "e2e-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b2, _ := json.Marshal(e2eEvent("e4", "bob", 250, now.Add(time.Second)))
	m := nats.NewMsg("events.acme.bob")
	m.Data = b2
	m.Header.Set("Nats-Msg-Id", "e4")
	if _, err := nc.RequestMsg(m, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Request("events.acme.carol", []byte("garbage"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// e2ePlayerView checks what a player and an operator see: bob 450 first,
// alice 300 second, the contest live, the bad_json rejection counted.
func e2ePlayerView(t *testing.T, base string) {
	t.Helper()
	type lbResp struct {
		Total int
		Top   []struct {
			Pos   int
			User  string
			Score int64
		}
		Me *struct {
			Pos       int
			Score     int64
			GapToNext *int64 `json:"gap_to_next"`
		}
	}
	var lb lbResp
	poll(t, 10*time.Second, "leaderboard", func() bool {
		resp, err := http.Get(base + "/v1/leaderboards/e2e_sprint?top=10&me=alice&around=1")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		lb = lbResp{}
		json.NewDecoder(resp.Body).Decode(&lb)
		return lb.Total == 2 && len(lb.Top) == 2 && lb.Top[0].User == "bob" && lb.Top[0].Score == 450
	})
	if lb.Me == nil || lb.Me.Pos != 2 || lb.Me.Score != 300 || lb.Me.GapToNext == nil || *lb.Me.GapToNext != 150 {
		t.Fatalf("me = %+v", lb.Me)
	}
	// Contests listing and metrics.
	resp, err := http.Get(base + "/v1/contests")
	if err != nil {
		t.Fatal(err)
	}
	var cl []map[string]any
	json.NewDecoder(resp.Body).Decode(&cl)
	resp.Body.Close()
	if len(cl) != 1 || cl[0]["id"] != "e2e_sprint" || cl[0]["status"] != "live" {
		t.Fatalf("contests %v", cl)
	}
	poll(t, 10*time.Second, "metrics", func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), `rankstream_events_rejected_total{reason="bad_json"} 1`) {
				return true
			}
		}
		return false
	})
}
