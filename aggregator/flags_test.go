package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

func flagContest(t *testing.T, start time.Time, flags string) *contest.Contest {
	t.Helper()
	return mustParse(t, "t_flags.yml", fmt.Sprintf(`id: t_flags
title: Flags
window: {start: %s, end: %s}
lateness: 1h
scoring: {model: wager}
anti_abuse:
  flags: {%s}
`, start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339), flags))
}

type flagEvent struct {
	user, id, device string
	ts               time.Time
}

func (e flagEvent) body() []byte {
	dev := ""
	if e.device != "" {
		dev = fmt.Sprintf(`,"device":{"id":%q}`, e.device)
	}
	return []byte(fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"game":{"id":"g1","provider":"acme"},`+
		`"bet":{"amount_minor":100,"currency":"EUR"}%s}`, e.id, e.ts.UTC().Format(time.RFC3339Nano), e.user, dev))
}

// flagStream turns events into EVENTS messages of partition p, in the
// given (arrival) order, all arriving after every ts.
func flagStream(evs []flagEvent, p int, arrive time.Time) []aggregator.StoredEvent {
	out := make([]aggregator.StoredEvent, len(evs))
	for i, e := range evs {
		out[i] = aggregator.StoredEvent{Subject: fmt.Sprintf("events.%d.acme.%s", p, e.user), Data: e.body(),
			Seq: uint64(i + 1), Time: arrive.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

// timingEvents are n events of user starting at t0, gap apart, each moved
// by a jitter drawn from [-jitter, jitter].
func timingEvents(r *rand.Rand, user string, t0 time.Time, n int, gap, jitter time.Duration) []flagEvent {
	out := make([]flagEvent, n)
	for i := range out {
		j := time.Duration(0)
		if jitter > 0 {
			j = time.Duration(r.Int63n(int64(2*jitter))) - jitter
		}
		out[i] = flagEvent{user: user, id: fmt.Sprintf("%s_%d", user, i), ts: t0.Add(time.Duration(i)*gap + j)}
	}
	return out
}

type raisedRec struct {
	seq uint64
	rec streams.RaisedFlag
}

// applyAll feeds ses to e and returns the flags raised, with the sequence
// that raised each.
func applyAll(e *aggregator.Engine, ses []aggregator.StoredEvent) []raisedRec {
	var out []raisedRec
	for _, se := range ses {
		for _, r := range e.Apply(se).Flags.Raised {
			out = append(out, raisedRec{se.Seq, r})
		}
	}
	return out
}

// TestUniformTimingFlag: a bot with metronome gaps is flagged once, with
// the event times of its last min_events counted events as evidence; a
// human with irregular gaps, and a bot with fewer than min_events events,
// are not. The decision survives a checkpoint: an engine restored half way
// raises exactly what the engine that never stopped raised, and nothing
// again.
func TestUniformTimingFlag(t *testing.T) {
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	c := flagContest(t, t0, "uniform_timing_ms: 40, min_events: 10, hold: true")
	rules := contest.NewRegistry([]*contest.Contest{c})
	r := rand.New(rand.NewSource(11))
	var evs []flagEvent
	evs = append(evs, timingEvents(r, "u_bot", t0.Add(time.Minute), 25, time.Second, 20*time.Millisecond)...)
	evs = append(evs, timingEvents(r, "u_human", t0.Add(time.Minute), 25, 2*time.Second, 1500*time.Millisecond)...)
	evs = append(evs, timingEvents(r, "u_few", t0.Add(time.Minute), 9, time.Second, 0)...)
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] }) // arrival order ≠ event time
	ses := flagStream(evs, 0, t0.Add(10*time.Minute))

	full := applyAll(aggregator.NewEngine(rules, 0), ses)
	if len(full) != 1 || full[0].rec.User != "u_bot" {
		t.Fatalf("raised %+v, want u_bot once", full)
	}
	f := full[0].rec
	if f.Flag != streams.FlagUniformTiming || f.Contest != "t_flags" || f.Window != t0.Format(time.RFC3339) || !f.Hold ||
		f.Evidence.MinEvents != 10 || f.Evidence.ThresholdMS != 40 || len(f.Evidence.EventTimes) != 10 {
		t.Fatalf("flag = %+v", f)
	}
	// The evidence recomputed from its own times, independently.
	var ts []int64
	for _, s := range f.Evidence.EventTimes {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tm.UnixNano())
	}
	if sd := stddevGapsMS(ts); sd >= 40 || abs(sd-f.Evidence.StdDevMS) > 1e-9 {
		t.Fatalf("evidence stddev %v, recomputed %v", f.Evidence.StdDevMS, sd)
	}

	// Restart half way from a checkpoint: same flags, nothing twice.
	for _, cut := range []int{5, len(ses) / 2, int(full[0].seq), len(ses) - 1} {
		a := aggregator.NewEngine(rules, 0)
		got := applyAll(a, ses[:cut])
		b := aggregator.NewEngine(rules, 0)
		if _, err := b.RestorePartition(0, a.MarshalPartition(nil, 0, uint64(cut))); err != nil {
			t.Fatal(err)
		}
		got = append(got, applyAll(b, ses[cut:])...)
		if !reflect.DeepEqual(got, full) {
			t.Fatalf("cut at %d: raised %+v, want %+v", cut, got, full)
		}
	}
}

// stddevGapsMS is the population standard deviation of the gaps of ts, in
// milliseconds, written from the contract's words.
func stddevGapsMS(ts []int64) float64 {
	var gaps []float64
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, float64(ts[i]-ts[i-1])/1e6)
	}
	var mean float64
	for _, g := range gaps {
		mean += g
	}
	mean /= float64(len(gaps))
	var v float64
	for _, g := range gaps {
		v += (g - mean) * (g - mean)
	}
	v /= float64(len(gaps))
	// Newton's method, not math.Sqrt, so the check is independent.
	x := v
	if x == 0 {
		return 0
	}
	for i := 0; i < 200; i++ {
		x = (x + v/x) / 2
	}
	return x
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestDeviceSightings: each (user, device) of a contest window is sighted
// once, keyed by device, also after a restart from a checkpoint; events
// without device.id, and contests without shared_device, sight nothing.
func TestDeviceSightings(t *testing.T) {
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	c := flagContest(t, t0, "shared_device_users: 3")
	rules := contest.NewRegistry([]*contest.Contest{c})
	var evs []flagEvent
	for i := 0; i < 12; i++ {
		dev := []string{"dev A/ü", "dev B", ""}[i%3]
		for _, u := range []string{"u_1", "u_2"} {
			evs = append(evs, flagEvent{user: u, id: fmt.Sprintf("%s_%d", u, i), device: dev, ts: t0.Add(time.Duration(i) * time.Second)})
		}
	}
	ses := flagStream(evs, 0, t0.Add(10*time.Minute))
	sights := func(e *aggregator.Engine, ses []aggregator.StoredEvent) map[string]int {
		out := map[string]int{}
		for _, se := range ses {
			for _, s := range e.Apply(se).Flags.Sightings {
				if s.Device != streams.DeviceToken(s.DeviceID) || s.MinUsers != 3 || s.Window != t0.Format(time.RFC3339) {
					t.Fatalf("sighting %+v", s)
				}
				out[s.MsgID()]++
			}
		}
		return out
	}
	full := sights(aggregator.NewEngine(rules, 0), ses)
	if len(full) != 4 {
		t.Fatalf("sightings %v, want 2 users × 2 devices", full)
	}
	for id, n := range full {
		if n != 1 {
			t.Fatalf("%s sighted %d times", id, n)
		}
	}
	a := aggregator.NewEngine(rules, 0)
	got := sights(a, ses[:7])
	b := aggregator.NewEngine(rules, 0)
	if _, err := b.RestorePartition(0, a.MarshalPartition(nil, 0, 7)); err != nil {
		t.Fatal(err)
	}
	for id, n := range sights(b, ses[7:]) {
		got[id] += n
	}
	if !reflect.DeepEqual(got, full) {
		t.Fatalf("with a restart: %v, want %v", got, full)
	}
	off := contest.NewRegistry([]*contest.Contest{flagContest(t, t0, "uniform_timing_ms: 1")})
	if n := len(sights(aggregator.NewEngine(off, 0), ses)); n != 0 {
		t.Fatalf("%d sightings without shared_device", n)
	}
}

// TestScorerPublishesFlags: the live scorer publishes the raised flag and
// the sightings to the FLAGS stream, each once by Nats-Msg-Id.
func TestScorerPublishesFlags(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	c := flagContest(t, t0, "uniform_timing_ms: 40, min_events: 5, shared_device_users: 2")
	p := startPipeline(t, []*contest.Contest{c}, streams.Options{Partitions: 4})
	base := time.Now().UTC().Add(-time.Minute)
	for i := 0; i < 6; i++ {
		for _, u := range []string{"u_a", "u_b"} {
			e := flagEvent{user: u, id: fmt.Sprintf("%s_%d", u, i), device: "shared-dev", ts: base.Add(time.Duration(i) * time.Second)}
			if u == "u_b" { // irregular: not uniform
				e.ts = base.Add(time.Duration(i*i) * 700 * time.Millisecond)
			}
			p.publishNATS(ctx, "acme", u, e.id, e.body())
		}
	}
	want := map[string]string{
		"flags.raised.uniform_timing.u_a":            "u_a",
		streams.DeviceSubject("shared-dev") + "|u_a": "u_a",
		streams.DeviceSubject("shared-dev") + "|u_b": "u_b",
	}
	var got map[string]int
	waitUntil(t, 30*time.Second, "flag records", func() bool {
		got = flagRecords(ctx, t, p.st.JS)
		return len(got) >= len(want)
	})
	for k := range want {
		if got[k] != 1 {
			t.Fatalf("records %v, want each of %v once", got, want)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("records %v, want %v", got, want)
	}
}

// flagRecords counts the FLAGS messages by subject (device sightings by
// subject|user).
func flagRecords(ctx context.Context, t *testing.T, js jetstream.JetStream) map[string]int {
	t.Helper()
	str, err := js.Stream(ctx, streams.Flags)
	if err != nil {
		t.Fatal(err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := str.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		key := m.Subject
		var s streams.DeviceSighting
		if json.Unmarshal(m.Data, &s) == nil && s.Device != "" {
			key += "|" + s.User
		}
		out[key]++
	}
	return out
}
