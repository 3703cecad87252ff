package rewards

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestMissionStepsBecomeRewards: the stage waits for the MISSIONS stream,
// then turns each step into a reward once (duplicates, a bad message in
// between), auto-granted or claimable as the step says.
func TestMissionStepsBecomeRewards(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A stream of its own: the streams package already made MISSIONS.
	s, err := New(Options{Pool: e.pool, NC: e.st.NC, JS: e.st.JS, MissionsStream: "MISSIONS_T", Poll: 50 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	defer func() { stop(); <-done }()
	time.Sleep(200 * time.Millisecond) // the stage looks for the stream before it exists

	if _, err := e.st.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "MISSIONS_T", Subjects: []string{"missions_t.>"}}); err != nil {
		t.Fatal(err)
	}
	pub := func(body []byte, id string) {
		m := &nats.Msg{Subject: "missions_t.m_h.u_1", Data: body, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, id)
		if _, err := e.st.JS.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	step := func(name string, auto bool, rw MissionReward) MissionStep {
		return MissionStep{RewardID: MissionRewardID("m_h", testWindow, "u_1", name), Mission: "m_h", Window: WindowString(testWindow),
			User: "u_1", Step: name, Reward: rw, AutoGrant: auto, ClaimWindow: "72h"}
	}
	s1 := step("s1", true, MissionReward{Kind: KindFreespins, Amount: 10, Game: "g_66"})
	s2 := step("s2", false, MissionReward{Kind: KindBonus, AmountMinor: 500, Currency: "EUR"})
	forged := step("s3", true, MissionReward{Kind: KindCash, AmountMinor: 1, Currency: "EUR"})
	forged.RewardID = "rw_forged"
	for i, st := range []MissionStep{s1, forged, s2, s1} {
		b, _ := json.Marshal(st)
		pub(b, st.RewardID+string(rune('a'+i)))
	}
	pub([]byte("not json"), "junk")

	eventually(t, 20*time.Second, "mission rewards", func() bool {
		rs, _ := s.Store.UserRewards(ctx, "u_1")
		return len(rs) == 2 && e.ledgerCheck(t) == 1
	})
	rs, _ := s.Store.UserRewards(ctx, "u_1")
	byStep := map[string]Reward{rs[0].Step: rs[0], rs[1].Step: rs[1]}
	if r := byStep["s1"]; r.Status != StatusGranted || r.Currency != CurrencyFreespins || r.AmountMinor != 10 || r.Game != "g_66" {
		t.Fatalf("s1 %+v", r)
	}
	if r := byStep["s2"]; r.Status != StatusPending || r.Currency != "EUR" || r.AmountMinor != 500 {
		t.Fatalf("s2 %+v", r)
	}
	got, isNew, err := s.Store.Claim(ctx, "u_1", ClaimRequest{Context: ContextMission, ID: "m_h", Window: WindowString(testWindow), Step: "s2"})
	if err != nil || !isNew || got.RewardID != s2.RewardID {
		t.Fatalf("claim s2: %+v %v %v", got, isNew, err)
	}
	eventually(t, 20*time.Second, "wallet postings", func() bool {
		ids, _ := e.walletMsgs(t)
		return len(ids) == 2 && ids[s1.RewardID] == 1 && ids[s2.RewardID] == 1
	})
}
