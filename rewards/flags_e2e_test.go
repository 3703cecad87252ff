package rewards

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// TestFlagsEndToEnd: provider events through the real scorer and the
// FLAGS stream into Postgres: the metronome bot gets uniform_timing with
// its last min_events event times as evidence, the three users of one
// tablet (on different partitions) get shared_device, the two users of
// another device and the irregular players get nothing. A replay of the
// EVENTS stream with a fresh engine raises exactly the stored flags.
func TestFlagsEndToEnd(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	now := time.Now().UTC()
	start := now.Add(-time.Hour).Truncate(time.Second)
	rules := startFlagScorer(ctx, t, e, start)
	runFlags(t, e.stage(t, e.pool))
	base := now.Add(-10 * time.Minute)
	publishFlagTraffic(ctx, t, e, base)
	want := map[string][]string{
		"u_bot": {"uniform_timing"},
		"u_h1":  {"shared_device"}, "u_h2": {"shared_device"}, "u_h3": {"shared_device"},
	}
	var stored []Flag
	eventually(t, 60*time.Second, "flags stored", func() bool {
		var by map[string][]string
		by, stored = flagsOf(t, e, "t_e2e", start)
		return reflect.DeepEqual(by, want)
	})
	parts := map[int]bool{}
	for _, se := range eventsOf(ctx, t, e.st.JS) {
		p, _, user, _ := streams.ParseEventSubject(se.Subject)
		if user[:3] == "u_h" {
			parts[p] = true
		}
	}
	if len(parts) < 2 {
		t.Fatalf("the tablet's users are all on partition %v: the test would not cross partitions", parts)
	}
	for _, f := range stored {
		if f.Flag != streams.FlagUniformTiming {
			continue
		}
		var ev streams.TimingEvidence
		if err := json.Unmarshal(f.Evidence, &ev); err != nil || len(ev.EventTimes) != 8 || ev.StdDevMS >= 40 ||
			ev.EventTimes[0] != base.Format(time.RFC3339Nano) || // raised by the 8th event: the first 8
			ev.EventTimes[7] != base.Add(7*1500*time.Millisecond+time.Millisecond).Format(time.RFC3339Nano) {
			t.Fatalf("uniform_timing evidence %s (%v)", f.Evidence, err)
		}
	}
	checkReplayFlags(ctx, t, e, rules, stored)
}

// startFlagScorer runs a real scorer of contest t_e2e (window from start,
// 2h) until the test ends and returns its rules.
func startFlagScorer(ctx context.Context, t *testing.T, e *env, start time.Time) *contest.Registry {
	t.Helper()
	c, err := contest.Parse("t_e2e.yml", []byte(fmt.Sprintf(`id: t_e2e
title: E2E
window: {start: %s, end: %s}
lateness: 1h
scoring: {model: wager}
anti_abuse:
  flags: {uniform_timing_ms: 40, min_events: 8, shared_device_users: 3, hold: true}
`, start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339))))
	if err != nil {
		t.Fatal(err)
	}
	rules := contest.NewRegistry([]*contest.Contest{c})
	sc, err := aggregator.NewScorer(aggregator.ScorerOptions{JS: e.st.JS, Rules: rules, Partitions: e.st.Opts.Partitions}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sc.Run(sctx) }()
	t.Cleanup(func() { stop(); <-done })
	return rules
}

// publishFlagTraffic publishes, as a provider: a metronome bot (1.5 s
// gaps, ≤ 2 ms jitter) alone on its rig, three irregular players on one
// tablet, two on a phone.
func publishFlagTraffic(ctx context.Context, t *testing.T, e *env, base time.Time) {
	t.Helper()
	pub := func(user, id, device string, ts time.Time) {
		t.Helper()
		body := fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"game":{"id":"g1","provider":"acme"},`+
			`"bet":{"amount_minor":100,"currency":"EUR"},"device":{"id":%q}}`, id, ts.Format(time.RFC3339Nano), user, device)
		m := nats.NewMsg("events.acme." + user)
		m.Data = []byte(body)
		m.Header.Set(streams.HeaderMsgID, id)
		if _, err := e.st.JS.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 12; i++ {
		pub("u_bot", fmt.Sprintf("b%d", i), "bot-rig", base.Add(time.Duration(i)*1500*time.Millisecond+time.Duration(i%3)*time.Millisecond))
		for k, u := range []string{"u_h1", "u_h2", "u_h3"} {
			pub(u, fmt.Sprintf("%s_%d", u, i), "family tablet", base.Add(time.Duration(i*i*(k+2))*100*time.Millisecond))
		}
		for _, u := range []string{"u_p1", "u_p2"} {
			pub(u, fmt.Sprintf("%s_%d", u, i), "pair phone", base.Add(time.Duration(i*i*7)*100*time.Millisecond))
		}
	}
}

// checkReplayFlags: a fresh engine over the EVENTS stream raises exactly
// the stored uniform_timing flags, evidence included.
func checkReplayFlags(ctx context.Context, t *testing.T, e *env, rules *contest.Registry, stored []Flag) {
	t.Helper()
	eng := aggregator.NewEngine(rules, 0)
	var replayed []string
	for _, se := range eventsOf(ctx, t, e.st.JS) {
		d := eng.Apply(se)
		for _, r := range d.Flags.Raised {
			ev, _ := json.Marshal(r.Evidence)
			replayed = append(replayed, r.User+" "+r.Flag+" "+string(ev))
		}
	}
	var storedTiming []string
	for _, f := range stored {
		if f.Flag == streams.FlagUniformTiming {
			var ev streams.TimingEvidence
			_ = json.Unmarshal(f.Evidence, &ev)
			b, _ := json.Marshal(ev)
			storedTiming = append(storedTiming, f.User+" "+f.Flag+" "+string(b))
		}
	}
	if len(replayed) == 0 || !reflect.DeepEqual(replayed, storedTiming) {
		t.Fatalf("replay raised %v, stored %v", replayed, storedTiming)
	}
}

func flagsOf(t *testing.T, e *env, contestID string, win time.Time) (map[string][]string, []Flag) {
	t.Helper()
	fs, _, err := NewStore(e.pool).Flags(context.Background(), contestID, win)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range fs {
		out[f.User] = append(out[f.User], f.Flag)
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out, fs
}

// eventsOf reads the EVENTS stream back as stored.
func eventsOf(ctx context.Context, t *testing.T, js jetstream.JetStream) []aggregator.StoredEvent {
	t.Helper()
	str, err := js.Stream(ctx, streams.Events)
	if err != nil {
		t.Fatal(err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []aggregator.StoredEvent
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := str.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, aggregator.StoredEvent{Subject: m.Subject, Data: m.Data, Seq: m.Sequence, Time: m.Time})
	}
	return out
}
