package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
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
	dir := t.TempDir()
	bin := filepath.Join(dir, "rankstream")
	if out, err := exec.Command("go", "build", "-race", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	now := time.Now().UTC()
	contests := filepath.Join(dir, "contests")
	os.MkdirAll(contests, 0o755)
	os.WriteFile(filepath.Join(contests, "sprint.yml"), []byte(fmt.Sprintf(`id: e2e_sprint
title: E2E sprint
window: {start: %s, end: %s}
lateness: 90s
scope: {providers: [acme]}
scoring: {model: wager, cap_per_event: 1000}
leaderboard: {type: sum, tiebreakers: [earliest_finish]}
`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))), 0o644)
	httpPort, natsPort := testkit.FreePort(t), testkit.FreePort(t)
	prefix := testkit.RedisPrefix(t, "rse2e")
	cfg := filepath.Join(dir, "config.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`http: {addr: "127.0.0.1:%d"}
nats: {port: %d, store_dir: %s}
redis: {url: "%s", prefix: "%s"}
contests_dir: %s
providers: {acme: e2e-secret}
`, httpPort, natsPort, filepath.Join(dir, "nats"), testkit.RedisURL(), prefix, contests)), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfg)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("rankstream output:\n%s", logs.String())
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	poll(t, 30*time.Second, "readyz", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	ev := func(id, user string, bet int, ts time.Time) map[string]any {
		return map[string]any{"event_id": id, "ts": ts.Format(time.RFC3339Nano), "type": "round_end", "user_id": user,
			"game": map[string]any{"id": "g_1", "provider": "acme"}, "bet": map[string]any{"amount_minor": bet, "currency": "EUR"}}
	}
	// Provider over HTTP: two valid events, one invalid.
	body, _ := json.Marshal([]any{ev("e1", "alice", 300, now), ev("e2", "bob", 200, now), map[string]any{"event_id": "e3"}})
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
	b2, _ := json.Marshal(ev("e4", "bob", 250, now.Add(time.Second)))
	m := nats.NewMsg("events.acme.bob")
	m.Data = b2
	m.Header.Set("Nats-Msg-Id", "e4")
	if _, err := nc.RequestMsg(m, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Request("events.acme.carol", []byte("garbage"), 5*time.Second); err != nil {
		t.Fatal(err)
	}

	// Player view: bob 450 first, alice 300 second.
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
	resp, err = http.Get(base + "/v1/contests")
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

// poll waits for ok (testkit.Eventually), failing with what after d.
func poll(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	testkit.Eventually(t, d, func() error {
		if ok() {
			return nil
		}
		return errors.New(what)
	})
}
