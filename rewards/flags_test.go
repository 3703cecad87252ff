package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/streams"
)

// publishFlag publishes a FLAGS record as a scorer does.
func (e *env) publishFlag(t *testing.T, subject, msgID string, body any) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(streams.HeaderMsgID, msgID)
	if _, err := e.st.JS.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func (e *env) sight(t *testing.T, contestID, device, user string, minUsers int, hold bool) {
	t.Helper()
	s := streams.DeviceSighting{Contest: contestID, Version: 1, Window: testWindow.Format(time.RFC3339),
		Device: streams.DeviceToken(device), DeviceID: device, User: user, MinUsers: minUsers, Hold: hold,
		TS: testWindow.Add(time.Minute).Format(time.RFC3339Nano), EventID: "e_" + user}
	e.publishFlag(t, streams.DeviceSubject(device), s.MsgID(), s)
}

func (e *env) raiseTiming(t *testing.T, contestID, user string, hold bool) {
	t.Helper()
	f := streams.RaisedFlag{Flag: streams.FlagUniformTiming, Contest: contestID, Version: 1,
		Window: testWindow.Format(time.RFC3339), User: user, Hold: hold,
		Evidence: streams.TimingEvidence{MinEvents: 3, ThresholdMS: 40, StdDevMS: 1.5,
			EventTimes: []string{"2025-10-25T18:01:00Z", "2025-10-25T18:01:01Z", "2025-10-25T18:01:02.001Z"}}}
	e.publishFlag(t, streams.RaisedSubject(f.Flag, user), f.MsgID(), f)
}

// runFlags runs the flags consumer of s until the test ends.
func runFlags(t *testing.T, s *Stage) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.consumeFlags(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// flagsByUser lists a contest's flags of testWindow by user ("flag" or
// "flag:cleared").
func flagsByUser(t *testing.T, st *Store, contestID string) (map[string][]string, []Flag) {
	t.Helper()
	fs, _, err := st.Flags(context.Background(), contestID, testWindow)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range fs {
		s := f.Flag
		if f.ClearedAt != nil {
			s += ":cleared"
		}
		out[f.User] = append(out[f.User], s)
	}
	return out, fs
}

// TestSharedDeviceAcrossPartitions: users of one device whose sightings
// come from different scorers at once (published concurrently, consumed
// by two stages sharing the durable consumer) are all flagged when the
// threshold is reached, each once, with the device's users as evidence; a
// device below the threshold flags nobody; a user joining later is flagged
// too, the earlier evidence stays as raised.
func TestSharedDeviceAcrossPartitions(t *testing.T) {
	e := newEnv(t)
	a, b := e.stage(t, e.newPool(t)), e.stage(t, e.newPool(t))
	runFlags(t, a)
	runFlags(t, b)
	var wg sync.WaitGroup
	for _, u := range []string{"u_1", "u_2", "u_3"} {
		wg.Add(2)
		go func() { defer wg.Done(); e.sight(t, "t_dev", "device one", u, 3, false) }()
		go func() { defer wg.Done(); e.sight(t, "t_dev", "device two", "x"+u[1:], 3, false) }()
	}
	wg.Wait()
	e.sight(t, "t_dev", "device one", "u_1", 3, false) // again (deduplicated)
	e.sight(t, "t_dev", "device three", "u_4", 3, false)
	e.sight(t, "t_dev", "device three", "u_5", 3, false)
	// A second sighting of u_1 on device one under another message id: the
	// consumer's store is idempotent too.
	s := streams.DeviceSighting{Contest: "t_dev", Version: 1, Window: testWindow.Format(time.RFC3339),
		Device: streams.DeviceToken("device one"), DeviceID: "device one", User: "u_1", MinUsers: 3,
		TS: testWindow.Add(time.Minute).Format(time.RFC3339Nano), EventID: "e_u_1"}
	e.publishFlag(t, streams.DeviceSubject("device one"), "other-id", s)

	var by map[string][]string
	var fs []Flag
	eventually(t, 30*time.Second, "shared_device flags", func() bool {
		by, fs = flagsByUser(t, a.Store, "t_dev")
		return len(fs) >= 6
	})
	for _, u := range []string{"u_1", "u_2", "u_3", "x_1", "x_2", "x_3"} {
		if len(by[u]) != 1 || by[u][0] != streams.FlagSharedDevice {
			t.Fatalf("flags %v, want shared_device once for %s", by, u)
		}
	}
	if by["u_4"] != nil || by["u_5"] != nil {
		t.Fatalf("device below the threshold flagged: %v", by)
	}
	for _, f := range fs {
		var ev DeviceEvidence
		if err := json.Unmarshal(f.Evidence, &ev); err != nil {
			t.Fatal(err)
		}
		var users []string
		for _, u := range ev.Users {
			users = append(users, u.User)
		}
		want := []string{"u_1", "u_2", "u_3"}
		if f.User[0] == 'x' {
			want = []string{"x_1", "x_2", "x_3"}
		}
		if ev.Threshold != 3 || ev.Device != f.Subject || fmt.Sprint(users) != fmt.Sprint(want) {
			t.Fatalf("evidence of %s: %+v", f.User, ev)
		}
	}
	// A fourth user of device one: flagged; the others keep their flag.
	e.sight(t, "t_dev", "device one", "u_6", 3, false)
	eventually(t, 30*time.Second, "u_6 flagged", func() bool {
		by, fs = flagsByUser(t, a.Store, "t_dev")
		return len(by["u_6"]) == 1
	})
	if len(fs) != 7 {
		t.Fatalf("%d flags, want 7: %v", len(fs), by)
	}
	raised := counterOf(t, a.m.Flags.Raised.WithLabelValues(streams.FlagSharedDevice)) +
		counterOf(t, b.m.Flags.Raised.WithLabelValues(streams.FlagSharedDevice))
	if raised != 7 {
		t.Fatalf("rankstream_abuse_flags_total{shared_device} = %v over both stages, want 7", raised)
	}
}

const holdRewards = `rewards:
  pool: {currency: EUR, total_minor: 10000}
  distribution: ladder
  ladder: [{ranks: "1", share: 0.5}, {ranks: "2-3", share: 0.2}]
  claim_window: 1h
  %s
anti_abuse:
  flags: {uniform_timing_ms: 40, min_events: 3, shared_device_users: 2, hold: true}
`

// TestFlagHoldsReleaseOnce: with hold, a flagged user's rewards are held
// (flag raised before the payouts, and after), claims answer held, the
// auto grant leaves them alone; clearing the flag releases them through
// the grant path once: one grant, one balanced posting pair, one WALLET
// message per reward, however often it is cleared, claimed or rounds run.
func TestFlagHoldsReleaseOnce(t *testing.T) {
	a := newAPIEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runFlags(t, a.stage)
	a.putContest(t, "t_auto", fmt.Sprintf(holdRewards, "auto_grant: true"))
	a.putContest(t, "t_claim", fmt.Sprintf(holdRewards, ""))

	// u_1 flagged in t_auto before its payouts are computed; u_2 in
	// another contest (must not hold t_auto), u_3 flagged without hold.
	a.raiseTiming(t, "t_auto", "u_1", true)
	a.raiseTiming(t, "t_other", "u_2", true)
	a.raiseTiming(t, "t_auto", "u_3", false)
	eventually(t, 30*time.Second, "timing flags", func() bool {
		by, _ := flagsByUser(t, a.stage.Store, "t_auto")
		return len(by) == 2
	})
	a.finalSnapshot(t, "t_auto", "", []int64{90, 50, 40})
	a.finalSnapshot(t, "t_claim", "", []int64{90, 50, 40})
	a.stage.Round(ctx)
	if got := fmt.Sprint(a.statuses(ctx, t, "t_auto")); got != "map[u_1:held u_2:granted u_3:granted]" {
		t.Fatalf("t_auto rewards %s", got)
	}
	// A flag raised after the payouts: u_2's pending t_claim reward turns held.
	a.sight(t, "t_claim", "dev", "u_2", 2, true)
	a.sight(t, "t_claim", "dev", "u_9", 2, true)
	eventually(t, 30*time.Second, "t_claim held", func() bool { return a.statuses(ctx, t, "t_claim")["u_2"] == StatusHeld })
	if got := fmt.Sprint(a.statuses(ctx, t, "t_claim")); got != "map[u_1:pending u_2:held u_3:pending]" {
		t.Fatalf("t_claim rewards %s", got)
	}
	if _, _, err := a.claimAs(ctx, "u_2", "t_claim"); !errors.Is(err, ErrHeld) {
		t.Fatalf("claim of a flagged user: %v, want ErrHeld", err)
	}
	if code, _ := a.do(t, "POST", "/v1/rewards/claim", a.token(t, "u_2"), `{"context":"contest","id":"t_claim","window":"2025-10-25T18:00:00Z"}`); code != 423 {
		t.Fatalf("claim answer %d, want 423", code)
	}
	a.stage.Round(ctx)
	if a.statuses(ctx, t, "t_auto")["u_1"] != StatusHeld {
		t.Fatal("auto grant paid a flagged user")
	}
	checkFlagList(t, a)
	clearReleasesOnce(ctx, t, a)
}

// statuses maps the users of a contest board to their rewards' status.
func (a *apiEnv) statuses(ctx context.Context, t *testing.T, contestID string) map[string]string {
	t.Helper()
	rs, err := a.stage.Store.BoardRewards(ctx, contestID, testWindow, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rs {
		out[r.User] = r.Status
	}
	return out
}

func (a *apiEnv) claimAs(ctx context.Context, user, contestID string) (Reward, bool, error) {
	return a.stage.Store.Claim(ctx, user, ClaimRequest{Context: ContextContest, ID: contestID, Window: "2025-10-25T18:00:00Z"})
}

// checkFlagList: the admin list shows t_auto's flags with their evidence,
// to the admin only.
func checkFlagList(t *testing.T, a *apiEnv) {
	t.Helper()
	code, body := a.do(t, "GET", "/v1/admin/flags/t_auto?window=2025-10-25T18:00:00Z", "adm", "")
	list, _ := body["flags"].([]any)
	if code != 200 || body["window"] != "2025-10-25T18:00:00Z" || len(list) != 2 {
		t.Fatalf("list: %d %v", code, body)
	}
	first, _ := list[0].(map[string]any)
	ev, _ := first["evidence"].(map[string]any)
	if first["user_id"] != "u_1" || first["flag"] != streams.FlagUniformTiming || ev["stddev_ms"] != 1.5 || first["cleared_at"] != nil {
		t.Fatalf("listed flag %v", first)
	}
	if code, _ := a.do(t, "GET", "/v1/admin/flags/t_auto", "", ""); code != 401 {
		t.Fatalf("list without the admin token: %d", code)
	}
}

// clearReleasesOnce: clearing releases (auto grant at once, a claim
// afterwards), each reward granted, posted and published once, however
// often it is cleared, claimed or rounds run.
func clearReleasesOnce(ctx context.Context, t *testing.T, a *apiEnv) {
	t.Helper()
	var wg sync.WaitGroup
	codes := make(chan int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := a.do(t, "DELETE", "/v1/admin/flags/t_auto/u_1", "adm", "")
			codes <- c
		}()
	}
	wg.Wait()
	close(codes)
	var got []int
	for c := range codes {
		got = append(got, c)
	}
	sort.Ints(got)
	if fmt.Sprint(got) != "[200 404 404 404]" {
		t.Fatalf("concurrent clears answered %v", got)
	}
	if a.statuses(ctx, t, "t_auto")["u_1"] != StatusGranted {
		t.Fatalf("after clearing: %v", a.statuses(ctx, t, "t_auto"))
	}
	if code, body := a.do(t, "DELETE", "/v1/admin/flags/t_claim/u_2", "adm", ""); code != 200 || body["released"] != 1.0 {
		t.Fatalf("clear t_claim: %d %v", code, body)
	}
	for i := 0; i < 3; i++ {
		if _, isNew, err := a.claimAs(ctx, "u_2", "t_claim"); err != nil || isNew != (i == 0) {
			t.Fatalf("claim %d after clearing: new=%v %v", i, isNew, err)
		}
		a.stage.Round(ctx)
	}
	if by, _ := flagsByUser(t, a.stage.Store, "t_auto"); fmt.Sprint(by["u_1"]) != "[uniform_timing:cleared]" {
		t.Fatalf("flags after clearing %v", by)
	}
	grants := a.ledgerCheck(t)
	if grants != 3+1 {
		t.Fatalf("%d grants, want 4 (t_auto 3, t_claim u_2)", grants)
	}
	eventually(t, 30*time.Second, "wallet messages", func() bool {
		ids, _ := a.walletMsgs(t)
		return len(ids) == grants
	})
	ids, _ := a.walletMsgs(t)
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("%s posted %d times", id, n)
		}
	}
	if v := counterOf(t, a.stage.m.Flags.Cleared.WithLabelValues(streams.FlagUniformTiming)); v != 1 {
		t.Fatalf("cleared metric %v", v)
	}
}

// TestFlagEvidenceKept: the app role can clear a flag once and change
// nothing else; no flag or sighting can be deleted.
func TestFlagEvidenceKept(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := NewStore(e.pool)
	f := Flag{Contest: "t_e", Window: testWindow, User: "u_1", Flag: streams.FlagUniformTiming, RuleVersion: 1,
		Hold: true, Evidence: json.RawMessage(`{"stddev_ms": 1}`)}
	if isNew, err := st.RaiseFlag(ctx, f); err != nil || !isNew {
		t.Fatalf("raise: %v %v", isNew, err)
	}
	if isNew, err := st.RaiseFlag(ctx, f); err != nil || isNew {
		t.Fatalf("raise again: %v %v", isNew, err)
	}
	if _, err := st.SightDevice(ctx, streams.DeviceSighting{Contest: "t_e", Window: testWindow.Format(time.RFC3339),
		Device: streams.DeviceToken("d"), DeviceID: "d", User: "u_1", MinUsers: 2, TS: testWindow.Format(time.RFC3339Nano)}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE abuse_flags SET evidence = '{}'`,
		`UPDATE abuse_flags SET hold = false`,
		`DELETE FROM abuse_flags`,
		`TRUNCATE abuse_flags`,
		`UPDATE abuse_device_users SET user_id = 'u_2'`,
		`DELETE FROM abuse_device_users`,
	} {
		if _, err := e.pool.Exec(ctx, q); err == nil {
			t.Fatalf("%s: accepted", q)
		}
	}
	if _, _, err := st.ClearFlags(ctx, "t_e", "u_1", time.Time{}, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE abuse_flags SET cleared_at = now()`); err == nil {
		t.Fatal("a cleared flag was cleared again")
	}
	if _, _, err := st.ClearFlags(ctx, "t_e", "u_1", time.Time{}, "admin"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second clear: %v, want ErrNotFound", err)
	}
	var ev string
	if err := e.pool.QueryRow(ctx, `SELECT evidence::text FROM abuse_flags`).Scan(&ev); err != nil || ev != `{"stddev_ms": 1}` {
		t.Fatalf("evidence now %q %v", ev, err)
	}
	if _, err := st.SightDevice(ctx, streams.DeviceSighting{Contest: "t_e", Window: "nope"}); !errors.Is(err, ErrBadFlag) {
		t.Fatalf("bad sighting: %v", err)
	}
}

func counterOf(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// leasedStage is a stage whose flags consumer holds the "flags" lease.
func (e *env) leasedStage(t *testing.T, instance string) (*Stage, func()) {
	t.Helper()
	l, err := aggregator.NewLeader(aggregator.LeaderOptions{JS: e.st.JS, Name: "flags", Instance: instance, TTL: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Pool: e.newPool(t), NC: e.st.NC, JS: e.st.JS, MissionsStream: "-", FlagsLeader: l,
		Poll: 50 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = l.Run(ctx); done <- struct{}{} }()
	go func() { s.consumeFlags(ctx); done <- struct{}{} }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			<-done
		}
	}
	t.Cleanup(stop)
	return s, stop
}

// TestFlagsLeaseOneConsumer: with the flags lease, one process consumes
// the sightings; when it stops, another takes over and nothing is lost.
func TestFlagsLeaseOneConsumer(t *testing.T) {
	e := newEnv(t)
	a, stopA := e.leasedStage(t, "proc-a")
	b, stopB := e.leasedStage(t, "proc-b")
	holder, other, stopHolder := a, b, stopA
	eventually(t, 30*time.Second, "a lease holder", func() bool {
		return a.opts.FlagsLeader.Held() || b.opts.FlagsLeader.Held()
	})
	if b.opts.FlagsLeader.Held() {
		holder, other, stopHolder = b, a, stopB
	}
	for _, u := range []string{"u_1", "u_2", "u_3"} {
		e.sight(t, "t_lease", "shared", u, 3, false)
	}
	eventually(t, 30*time.Second, "three flags", func() bool {
		by, _ := flagsByUser(t, a.Store, "t_lease")
		return len(by) == 3
	})
	if h, o := counterOf(t, holder.m.Flags.Sightings), counterOf(t, other.m.Flags.Sightings); h != 3 || o != 0 {
		t.Fatalf("sightings consumed: holder %v, other %v; want 3 and 0", h, o)
	}
	stopHolder() // gives the lease back
	e.sight(t, "t_lease", "shared", "u_4", 3, false)
	eventually(t, 30*time.Second, "u_4 flagged by the other process", func() bool {
		by, _ := flagsByUser(t, other.Store, "t_lease")
		return len(by["u_4"]) == 1
	})
	if !other.opts.FlagsLeader.Held() || counterOf(t, other.m.Flags.Sightings) != 1 {
		t.Fatalf("the new holder: held %v, consumed %v sightings, want 1", other.opts.FlagsLeader.Held(),
			counterOf(t, other.m.Flags.Sightings))
	}
}
