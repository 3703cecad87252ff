package aggregator_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/oracle"
)

// pruneContests: a long window of every board type and recurring 1-minute
// windows, all with a short max_event_delay, so that stream time runs far
// past it within a test.
func pruneContests(t testing.TB, t0 time.Time, delay time.Duration) []*contest.Contest {
	mustParse := func(t testing.TB, name, yml string) *contest.Contest {
		t.Helper()
		c, err := contest.Parse(name, []byte(yml))
		if err != nil {
			t.Fatalf("contest %s: %v", name, err)
		}
		return c
	}
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	long := fmt.Sprintf("window: {start: %s, end: %s}\nmax_event_delay: %s\n", f(t0.Add(-time.Hour)), f(t0.Add(1000*time.Hour)), delay)
	return []*contest.Contest{
		mustParse(t, "sum.yml", "id: f_sum\ntitle: s\n"+long+`scoring: {formula: "bet - 3", cap_per_user_per_day: 300}
leaderboard: {type: sum, tiebreakers: [highest_single_multiplier, fewest_rounds, earliest_finish]}
anti_abuse: {max_events_per_user_per_sec: 2}
`),
		mustParse(t, "best.yml", "id: f_best\ntitle: b\n"+long+`scoring: {model: wager, cap_per_event: 40}
leaderboard: {type: best_n, n: 3, divisions: market, tiebreakers: [earliest_finish, most_rounds]}
`),
		mustParse(t, "max.yml", "id: f_max\ntitle: m\n"+long+`scoring: {model: multiplier_log}
leaderboard: {type: max, tiebreakers: [earliest_finish]}
`),
		mustParse(t, "minute.yml", fmt.Sprintf(`id: f_minute
title: every minute
schedule: {cron: "* * * * *", duration: 1m}
lateness: 5s
max_event_delay: %s
scoring: {model: wager, cap_per_user_per_day: 500}
leaderboard: {type: sum}
`, delay)),
	}
}

// pruneTraffic makes n arrivals, 1000/rate apart in stream time from t0: the
// ts of each up to 1.2×delay before its arrival (some late), a duplicate now
// and then (the original's ts, some of them past the delay).
type pruneTraffic struct {
	r     *rand.Rand
	t0    time.Time
	step  time.Duration
	users int
	sent  []aggregator.StoredEvent
	tsOf  map[string]time.Time
	seq   uint64
	delay time.Duration
}

func (g *pruneTraffic) next() aggregator.StoredEvent {
	g.seq++
	at := g.t0.Add(time.Duration(g.seq) * g.step)
	if len(g.sent) > 100 && g.r.Intn(15) == 0 {
		d := g.sent[len(g.sent)-1-g.r.Intn(100)]
		d.Seq, d.Time = g.seq, at
		return d
	}
	u := g.r.Intn(g.users)
	user := fmt.Sprintf("u%d", u)
	ts := at.Add(-time.Duration(g.r.Int63n(int64(g.delay) * 12 / 10))).Truncate(100 * time.Millisecond)
	id := fmt.Sprintf("e%d", g.seq)
	body := fmt.Sprintf(`{"event_id":%q,"ts":%q,"type":"round_end","user_id":%q,"market":%q,`+
		`"game":{"id":"g1","provider":"acme"},"bet":{"amount_minor":%d,"currency":"EUR"},"win":{"amount_minor":%d}}`,
		id, ts.UTC().Format(time.RFC3339Nano), user, []string{"DE", "SE"}[g.r.Intn(2)], g.r.Intn(60), g.r.Intn(300))
	se := aggregator.StoredEvent{Subject: fmt.Sprintf("events.%d.acme.%s", u%4, user), Data: []byte(body), Seq: g.seq, Time: at}
	g.sent = append(g.sent, se)
	return se
}

// engineBoards collects an engine's standings per board and user.
func engineBoards(e *aggregator.Engine) map[contest.BoardID]map[string]contest.Standing {
	out := map[contest.BoardID]map[string]contest.Standing{}
	e.Standings(func(id contest.BoardID, user string, st contest.Standing) {
		if out[id] == nil {
			out[id] = map[string]contest.Standing{}
		}
		st.LastPoints = 0
		out[id][user] = st
	})
	return out
}

// With folding on (a tiny fold margin, so it folds all the time) the engine
// decides exactly as the batch oracle, arrivals just inside and past
// max_event_delay included, while holding only a fraction of the events.
func TestEngineFoldMatchesOracle(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Hour)
	delay := 30 * time.Second
	cs := pruneContests(t, t0, delay)
	eng := aggregator.NewEngine(contest.NewRegistry(cs), 0)
	eng.SetPruning(aggregator.PruneOptions{FoldMargin: time.Millisecond})
	g := &pruneTraffic{r: rand.New(rand.NewSource(7)), t0: t0, step: 20 * time.Millisecond, users: 30, delay: delay}
	var arr []oracle.Arrival
	maxCands := 0
	for i := 0; i < 15000; i++ {
		se := g.next()
		eng.Apply(se)
		_, prov, user := splitSubject(se.Subject)
		arr = append(arr, oracle.Arrival{Raw: se.Data, Subject: "events." + prov + "." + user, Arrived: se.Time, Seq: se.Seq})
		if i%500 == 0 {
			_, _, c := eng.StateSize()
			maxCands = max(maxCands, c)
		}
	}
	want := oracle.Compute(cs, arr, 30*time.Second)
	if want.Late == 0 {
		t.Fatal("no late arrivals: the traffic does not reach past max_event_delay")
	}
	got := engineBoards(eng)
	for id, rows := range want.Boards {
		bid := contest.BoardID{Contest: id.Contest, Window: id.Window, Division: id.Division}
		if len(got[bid]) != len(rows) {
			t.Errorf("board %v: %d users, want %d", bid, len(got[bid]), len(rows))
		}
		for _, r := range rows {
			st := got[bid][r.User]
			if st.Score != r.Score || st.Rounds != r.Rounds || st.MaxMult != r.MaxMultiplier || st.Finish != r.Finish {
				t.Errorf("board %v user %s: %+v, want %+v", bid, r.User, st, r)
			}
		}
		delete(got, bid)
	}
	for id := range got {
		t.Errorf("engine has board %v the oracle has not", id)
	}
	// 50 events/s of stream time, about 3 contests each: a 30s delay holds
	// some 4500 candidates without the pinned best n; 15000 are sent.
	if maxCands > 8000 {
		t.Errorf("engine held up to %d candidates: folding did not release them", maxCands)
	}
	t.Logf("%d boards equal to the oracle; late=%d; at most %d candidates held", len(want.Boards), want.Late, maxCands)
}

func splitSubject(s string) (p, prov, user string) {
	var parts [4]string
	n := 0
	start := 0
	for i := 0; i <= len(s) && n < 4; i++ {
		if i == len(s) || s[i] == '.' {
			parts[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	return parts[1], parts[2], parts[3]
}

// stateSample is what an engine holds at one moment.
type stateSample struct {
	seen, windows, cands, ckptBytes int
}

func sampleState(e *aggregator.Engine) stateSample {
	var s stateSample
	s.seen, s.windows, s.cands = e.StateSize()
	for p := 0; p < 4; p++ {
		s.ckptBytes += len(e.MarshalPartition(nil, p, 1))
	}
	return s
}

// A steady rate on a long window and on recurring 1-minute windows for 40
// minutes of stream time: once max_event_delay and retention.finished_windows
// have passed, seen ids, user windows, candidates and checkpoint bytes stop
// growing (the mean of the last third of the samples after that horizon is
// within 10% of the first third's), and hold a small fraction of what was sent.
func TestEngineStateStopsGrowing(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Hour)
	delay, retention := time.Minute, 2*time.Minute
	cs := pruneContests(t, t0, delay)
	eng := aggregator.NewEngine(contest.NewRegistry(cs), 0)
	eng.SetPruning(aggregator.PruneOptions{FinishedWindows: retention, FoldMargin: time.Second})
	g := &pruneTraffic{r: rand.New(rand.NewSource(3)), t0: t0, step: 100 * time.Millisecond, users: 200, delay: delay}
	n := int(40 * time.Minute / g.step)
	horizon := int((delay + retention + 2*time.Minute) / g.step) // + a window and its lateness, with room
	var samples []stateSample
	var bytesSent int
	for i := 1; i <= n; i++ {
		se := g.next()
		bytesSent += len(se.Data)
		eng.Apply(se)
		if i > horizon && i%int(time.Minute/g.step) == 0 {
			samples = append(samples, sampleState(eng))
		}
	}
	t.Logf("samples every minute of stream time after the horizon: %+v", samples)
	checkFlat(t, samples, false,
		series[stateSample]{"seen ids", func(s stateSample) int { return s.seen }},
		series[stateSample]{"user windows", func(s stateSample) int { return s.windows }},
		series[stateSample]{"candidates", func(s stateSample) int { return s.cands }},
		series[stateSample]{"checkpoint bytes", func(s stateSample) int { return s.ckptBytes }})
	last := samples[len(samples)-1]
	if last.seen > n/10 || last.ckptBytes > bytesSent/10 {
		t.Errorf("state %+v is not small against %d events (%d bytes) sent", last, n, bytesSent)
	}
}
