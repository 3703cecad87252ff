package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

const noticeContest = `id: c_n
title: Notices
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
notify_top: [1, 3]
`

var (
	noticeBoardID = contest.BoardID{Contest: "c_n", Window: time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC).Unix()}
	noticeEnd     = time.Date(2025, 10, 25, 19, 0, 0, 0, time.UTC)
	// Positions 1 and 2 pay; position 1 a fixed 500.
	noticeZone = &contest.PrizeZone{Distribution: "ladder", Currency: "EUR",
		Ranges: []contest.PrizeRange{{From: 1, To: 1, AmountMinor: 500}, {From: 2, To: 2, AmountMinor: 200}}}
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// noticeRecorder keeps every notice seen on lb.*.user.*.notice.
type noticeRecorder struct {
	t   *testing.T
	mu  sync.Mutex
	got []NoticeMsg
}

func recordNotices(t *testing.T, nc *nats.Conn) *noticeRecorder {
	t.Helper()
	r := &noticeRecorder{t: t}
	sub, err := nc.Subscribe(streams.LiveNoticeAll, func(m *nats.Msg) {
		var n NoticeMsg
		if err := json.Unmarshal(m.Data, &n); err != nil || n.Type != TypeNotice {
			t.Errorf("bad notice on %s: %q", m.Subject, m.Data)
			return
		}
		if m.Subject != streams.LiveNoticeSubject(n.Contest, n.User) {
			t.Errorf("notice for %s on %s", n.User, m.Subject)
		}
		r.mu.Lock()
		r.got = append(r.got, n)
		r.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return r
}

// keys are "user kind[:top]" of the notices so far, in order.
func (r *noticeRecorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.got))
	for _, n := range r.got {
		k := n.User + " " + n.Kind
		if n.Top > 0 {
			k += fmt.Sprintf(":%d", n.Top)
		}
		out = append(out, k)
	}
	return out
}

// waitKeys polls until the notices are exactly want (in order), failing
// after a deadline or when more arrive.
func (r *noticeRecorder) waitKeys(want ...string) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.keys()
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if len(got) > len(want) || time.Now().After(deadline) {
			r.t.Fatalf("notices %q, want %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle checks that nothing beyond want arrives while the noticer runs
// several rounds (it rounds every 250 ms).
func (r *noticeRecorder) settle(want ...string) {
	r.t.Helper()
	r.waitKeys(want...)
	time.Sleep(3 * noticeEvery) // rounds of the noticer, not a wait for a result
	if got := r.keys(); fmt.Sprint(got) != fmt.Sprint(want) {
		r.t.Fatalf("notices %q, want %q", got, want)
	}
}

type noticeEnv struct {
	st    *streams.Streams
	clock *fakeClock
	c     *contest.Contest
	kv    jetstream.KeyValue
}

func newNoticeEnv(t *testing.T, start time.Time) *noticeEnv {
	t.Helper()
	c, err := contest.Parse("c_n.yml", []byte(noticeContest))
	if err != nil {
		t.Fatal(err)
	}
	st := embedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := streams.EnsureNotices(ctx, st.JS, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &noticeEnv{st: st, clock: &fakeClock{t: start}, c: c, kv: kv}
}

// start runs a notifier with notices; ctx ends it (a restart is another
// start on the same env).
func (e *noticeEnv) start(t *testing.T, ctx context.Context) (*Notifier, <-chan error) {
	t.Helper()
	n, err := New(Options{Publisher: e.st.NC, Now: e.clock.now, Notices: NoticeOptions{
		Contest:   func(id string) *contest.Contest { return map[string]*contest.Contest{"c_n": e.c}[id] },
		PrizeZone: func(*contest.Contest) *contest.PrizeZone { return noticeZone },
		KV:        e.kv, JS: e.st.JS,
	}}, testLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	return n, done
}

func (e *noticeEnv) run(t *testing.T) *Notifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n, done := e.start(t, ctx)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return n
}

// board is a delta of the notice board whose top is the whole board (in
// order, scores descending), every user changed.
func board(users ...string) []aggregator.BoardDelta {
	d := aggregator.BoardDelta{ID: noticeBoardID, Total: len(users), Ranks: map[string]aggregator.Rank{}}
	for i, u := range users {
		r := aggregator.Rank{Pos: i + 1, User: u, Score: int64(100 * (len(users) - i))}
		d.Top = append(d.Top, r)
	}
	return []aggregator.BoardDelta{d}
}

// rising reports only user at pos (its own change) on a board of total
// users, with an empty top: what a big board's delta says of one user.
func rising(user string, pos, total int) []aggregator.BoardDelta {
	d := aggregator.BoardDelta{ID: noticeBoardID, Total: total, Ranks: map[string]aggregator.Rank{
		user: {Pos: pos, User: user, Score: int64(1000 - pos)}}, Changed: []aggregator.UserDelta{{User: user}}}
	return []aggregator.BoardDelta{d}
}

// tick hands deltas to n and waits until its noticer has taken them in
// (two full rounds later).
func tick(t *testing.T, n *Notifier, d []aggregator.BoardDelta) {
	t.Helper()
	r0 := n.notices.rounds.Load()
	n.OnTick(d)
	deadline := time.Now().Add(10 * time.Second)
	for n.notices.rounds.Load() < r0+2 {
		if time.Now().After(deadline) {
			t.Fatal("the noticer does not take the tick")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestNoticeEnteredTop: entered_top once per level, the widest first, and
// never again when the user drops out and comes back.
func TestNoticeEnteredTop(t *testing.T) {
	e := newNoticeEnv(t, noticeEnd.Add(-time.Hour))
	rec := recordNotices(t, e.st.NC)
	n := e.run(t)
	tick(t, n, rising("a", 5, 500))
	tick(t, n, rising("a", 3, 500))
	rec.waitKeys("a entered_top:3")
	tick(t, n, rising("a", 1, 500))
	rec.waitKeys("a entered_top:3", "a entered_top:1")
	tick(t, n, rising("a", 7, 500))
	tick(t, n, rising("a", 2, 500))
	tick(t, n, rising("a", 1, 500))
	tick(t, n, rising("b", 1, 500)) // straight to 1: both levels, widest first
	rec.settle("a entered_top:3", "a entered_top:1", "b entered_top:3", "b entered_top:1")
	if got := rec.got[0]; got.Pos != 3 || got.Contest != "c_n" || got.Window != "2025-10-25T18:00:00Z" {
		t.Fatalf("entered_top notice %+v", got)
	}
}

// TestNoticePrizeZone: entered_prize_zone once the position has held
// ZoneSettle, with the position's prize; left_prize_zone when others push
// the user out (the user itself unchanged, seen only in the top); a user
// flapping around the boundary gets zone notices ever further apart.
func TestNoticePrizeZone(t *testing.T) {
	e := newNoticeEnv(t, noticeEnd.Add(-time.Hour))
	rec := recordNotices(t, e.st.NC)
	e.c.NotifyTop = []int{} // only zone notices here
	n := e.run(t)
	tick(t, n, board("a", "b", "c"))
	rec.settle() // not settled yet: the clock has not moved
	e.clock.add(DefaultZoneSettle)
	rec.waitKeys("a entered_prize_zone", "b entered_prize_zone")
	for _, m := range rec.got {
		if want := map[string]int64{"a": 500, "b": 200}[m.User]; m.PrizeMinor != want || m.Currency != "EUR" {
			t.Fatalf("zone notice %+v, want prize %d EUR", m, want)
		}
	}
	// c passes a and b: b drops to 3 (out), a to 2 (still in).
	tick(t, n, board("c", "a", "b"))
	e.clock.add(DefaultZoneGap)
	rec.waitKeys("a entered_prize_zone", "b entered_prize_zone", "c entered_prize_zone", "b left_prize_zone")
	// b flaps in and out within the settle time: nothing.
	tick(t, n, board("c", "b", "a"))
	tick(t, n, board("c", "a", "b"))
	e.clock.add(DefaultZoneSettle)
	rec.settle("a entered_prize_zone", "b entered_prize_zone", "c entered_prize_zone", "b left_prize_zone")
	// b back in for good: the third zone notice waits 2·ZoneGap after the
	// second.
	tick(t, n, board("c", "b", "a"))
	e.clock.add(DefaultZoneSettle)
	rec.settle("a entered_prize_zone", "b entered_prize_zone", "c entered_prize_zone", "b left_prize_zone",
		"a left_prize_zone")
	e.clock.add(2 * DefaultZoneGap)
	rec.settle("a entered_prize_zone", "b entered_prize_zone", "c entered_prize_zone", "b left_prize_zone",
		"a left_prize_zone", "b entered_prize_zone")
}

// TestNoticeEndsSoon: ends_soon to every user of the board EndsSoon before
// the end, once; a user arriving afterwards gets it on arrival; none after
// the end.
func TestNoticeEndsSoon(t *testing.T) {
	e := newNoticeEnv(t, noticeEnd.Add(-DefaultEndsSoon-time.Minute))
	e.c.NotifyTop = []int{}
	rec := recordNotices(t, e.st.NC)
	n := e.run(t)
	tick(t, n, rising("a", 40, 50))
	tick(t, n, rising("b", 41, 50))
	rec.settle()
	e.clock.add(time.Minute)
	// One round's notices of several users come in map order.
	waitSet(t, rec, []string{"a ends_soon", "b ends_soon"})
	for _, m := range rec.got {
		if m.EndsAt != "2025-10-25T19:00:00Z" {
			t.Fatalf("ends_soon %+v", m)
		}
	}
	tick(t, n, rising("a", 39, 50))
	tick(t, n, rising("c", 42, 50))
	all := []string{"a ends_soon", "b ends_soon", "c ends_soon"}
	settleSet(t, rec, all)
	e.clock.add(DefaultEndsSoon)
	tick(t, n, rising("d", 43, 50))
	settleSet(t, rec, all)
}

// TestNoticeRestart: a second notifier on the same bucket (a restart, or
// the next lease holder) sends nothing the first sent, and goes on with
// what is new.
func TestNoticeRestart(t *testing.T) {
	e := newNoticeEnv(t, noticeEnd.Add(-time.Hour))
	rec := recordNotices(t, e.st.NC)
	ctx, cancel := context.WithCancel(context.Background())
	n, done := e.start(t, ctx)
	tick(t, n, board("a", "b", "c"))
	tops := []string{"a entered_top:3", "a entered_top:1", "b entered_top:3", "c entered_top:3"}
	waitSet(t, rec, tops) // the tick is in: now let the zone settle
	e.clock.add(DefaultZoneSettle)
	first := append(tops, "a entered_prize_zone", "b entered_prize_zone")
	waitSet(t, rec, first)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n2 := e.run(t)
	tick(t, n2, board("a", "b", "c"))
	e.clock.add(time.Minute)
	tick(t, n2, board("c", "b", "a")) // c: top 1, zone; a: out of the zone
	waitSet(t, rec, append(first, "c entered_top:1"))
	e.clock.add(DefaultZoneSettle)
	waitSet(t, rec, append(first, "c entered_top:1", "c entered_prize_zone", "a left_prize_zone"))
	time.Sleep(3 * noticeEvery) // rounds of the noticer, not a wait for a result
	waitSet(t, rec, append(first, "c entered_top:1", "c entered_prize_zone", "a left_prize_zone"))
}

// waitSet polls until the notices are want in any order (zone notices of
// one round come in map order), each once.
func waitSet(t *testing.T, r *noticeRecorder, want []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.keys()
		count := map[string]int{}
		for _, k := range got {
			count[k]++
		}
		ok := len(got) == len(want)
		for _, k := range want {
			ok = ok && count[k] == 1
		}
		if ok {
			return
		}
		if len(got) > len(want) || time.Now().After(deadline) {
			t.Fatalf("notices %q, want (any order) %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settleSet is settle for notices in any order.
func settleSet(t *testing.T, r *noticeRecorder, want []string) {
	t.Helper()
	waitSet(t, r, want)
	time.Sleep(3 * noticeEvery) // rounds of the noticer, not a wait for a result
	waitSet(t, r, want)
}

// TestNoticeTwoProcessesSendOnce: two notifiers on one bucket (a lease
// handover seen by both) given the same ticks send each notice once; the
// board is a division whose value is no subject token.
func TestNoticeTwoProcessesSendOnce(t *testing.T) {
	e := newNoticeEnv(t, noticeEnd.Add(-time.Hour))
	rec := recordNotices(t, e.st.NC)
	n1, n2 := e.run(t), e.run(t)
	div := func(ds []aggregator.BoardDelta) []aggregator.BoardDelta {
		for i := range ds {
			ds[i].ID.Division = "live.casino ü"
		}
		return ds
	}
	for _, users := range [][]string{{"a", "b"}, {"b", "a", "c"}, {"c", "b", "a"}} {
		n1.OnTick(div(board(users...)))
		n2.OnTick(div(board(users...)))
		tick(t, n1, nil)
		tick(t, n2, nil)
	}
	want := []string{"a entered_top:3", "a entered_top:1", "b entered_top:3", "b entered_top:1", "c entered_top:3",
		"c entered_top:1"}
	waitSet(t, rec, want)
	time.Sleep(3 * noticeEvery) // rounds of both noticers, not a wait for a result
	waitSet(t, rec, want)
	for _, m := range rec.got {
		if m.Division != "live.casino ü" {
			t.Fatalf("notice without its division: %+v", m)
		}
	}
}
