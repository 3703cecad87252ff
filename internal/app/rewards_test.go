package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/rewards"
	"github.com/rankstream/rankstream/streams"
)

// TestRewardsStageAlone: a pipeline process without the rewards stage and a
// second process with --only rewards on the same NATS and Postgres: the
// final snapshot of a window is paid by the second, and a player claims
// through the first's API.
func TestRewardsStageAlone(t *testing.T) {
	now := time.Now().UTC()
	start := now.Add(-10 * time.Minute).Truncate(time.Second)
	c, err := contest.Parse("r.yml", []byte(fmt.Sprintf(`id: t_paid
title: Paid
window: {start: %s, end: %s}
lateness: 1m
scoring: {model: wager}
rewards:
  pool: {currency: EUR, total_minor: 1000}
  distribution: ladder
  ladder: [{ranks: "1", share: 0.5}, {ranks: "2", share: 0.25}]
  dispute_window: 0s
`, start.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))))
	if err != nil {
		t.Fatal(err)
	}
	env := apptest.NewEnv(t)
	a := apptest.Start(t, env, []*contest.Contest{c}, func(o *app.Options) {
		o.Only = []string{app.StageIngest, app.StageAggregator, app.StageAPI, app.StageSnapshotter}
		o.Live.JWTSecret = "shared-secret-for-both-processes"
	})
	b := apptest.Start(t, env, []*contest.Contest{c}, func(o *app.Options) {
		o.Only = []string{app.StageRewards}
		o.Streams = streams.Options{URL: a.Streams.URL(), Partitions: 8}
		o.MissionsStream = "-"
	})
	if a.Rewards != nil || b.Rewards == nil {
		t.Fatalf("rewards stage: in a %v, in b %v", a.Rewards != nil, b.Rewards != nil)
	}
	for i, bet := range []int64{300, 200, 100} {
		user := fmt.Sprintf("u_%d", i+1)
		id := fmt.Sprintf("e%d", i)
		apptest.Publish(t, a, "acme", user, id, apptest.Event(id, user, "acme", now.Add(-time.Minute), bet, 0, "DE"))
	}
	apptest.Settle(t, a)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, _ := c.CurrentWindow(now)
	if hs, err := a.Snapshotter.FinalizeWindow(ctx, c.ID, w.Key()); err != nil || len(hs) != 1 {
		t.Fatalf("finalize: %v %v", hs, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec, err := b.Rewards.Store.Board(ctx, c.ID, start, "")
		if err == nil {
			if rec.PayoutMinor != 750 || rec.Winners != 2 {
				t.Fatalf("board %+v", rec)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payouts not computed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, _, err := a.Live.Tokens.Issue("u_1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(rewards.ClaimRequest{Context: "contest", ID: c.ID, Window: start.Format(time.RFC3339)})
	req, _ := http.NewRequest("POST", "http://"+a.Addr()+"/v1/rewards/claim", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ans rewards.ClaimAnswer
	_ = json.NewDecoder(res.Body).Decode(&ans)
	res.Body.Close()
	if res.StatusCode != 201 || ans.AmountMinor != 500 || ans.RewardID != rewards.ContestRewardID(c.ID, start, "", "u_1") {
		t.Fatalf("claim: %d %+v", res.StatusCode, ans)
	}
	refusesBadRewards(t, a)

	waitWalletPosting(t, a, ans.RewardID)
}

// refusesBadRewards: a contest version with an invalid rewards block is
// refused by the admin API with file:line.
func refusesBadRewards(t *testing.T, a *app.App) {
	t.Helper()
	bad := "id: t_bad\ntitle: B\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\n" +
		"rewards: {pool: {currency: EUR, total_minor: 10}, distribution: ladder, ladder: [{ranks: \"1-2\", share: 0.6}]}\n"
	req, _ := http.NewRequest("PUT", "http://"+a.Addr()+"/v1/admin/contests/t_bad", bytes.NewBufferString(bad))
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var refusal struct{ Errors []string }
	_ = json.NewDecoder(res.Body).Decode(&refusal)
	res.Body.Close()
	if res.StatusCode != 400 || len(refusal.Errors) != 1 || refusal.Errors[0] != "t_bad.yml:5:81: rewards.ladder: shares × positions add up to 1.2000 > 1" {
		t.Fatalf("bad rewards PUT: %d %v", res.StatusCode, refusal.Errors)
	}

}

// waitWalletPosting waits for u_1's wallet posting of rewardID.
func waitWalletPosting(t *testing.T, a *app.App, rewardID string) {
	t.Helper()
	ctx := context.Background()
	// The rewards process relays the grant to the wallet.
	str, err := a.Streams.JS.Stream(ctx, streams.Wallet)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m, err := str.GetLastMsgForSubject(ctx, "wallet.postings.u_1")
		if err == nil {
			if m.Header.Get("Nats-Msg-Id") != rewardID {
				t.Fatalf("wallet message %v", m.Header)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no wallet posting: %v", err)
		}
	}
}
