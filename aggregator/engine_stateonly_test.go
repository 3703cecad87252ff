package aggregator_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// TestEngineStateOnlyAndReusedOutputs: a StateOnly engine (replay's) ends
// with the same standings as one that reports its decisions, and reports
// none; and the reporting engine's per-event Changes, whose storage it
// reuses from one Apply to the next, read as the standings it ends with
// when the last change of each (board, user) is kept.
func TestEngineStateOnlyAndReusedOutputs(t *testing.T) {
	t0 := time.Now().UTC()
	rules := contest.NewRegistry(propertyContests(t, t0))
	full, quiet := aggregator.NewEngine(rules, 0), aggregator.NewEngine(rules, 0)
	quiet.StateOnly(true)
	g := &gen{r: rand.New(rand.NewSource(7)), t0: t0}
	for i := 0; i < 300; i++ {
		g.users = append(g.users, fmt.Sprintf("u_%d", i))
	}
	type bu struct {
		board contest.BoardID
		user  string
	}
	last := map[bu]aggregator.ScoreChange{}
	late := 0
	for i := 0; i < 20000; i++ {
		e := g.event()
		if i%50 == 49 { // a duplicate now and then
			g.n--
			e = g.event()
		}
		se := aggregator.StoredEvent{Subject: "events.0." + e.provider + "." + e.user, Data: e.body, Seq: uint64(i + 1), Time: t0}
		d := full.Apply(se)
		for _, ch := range d.Changes {
			last[bu{ch.Board, ch.User}] = ch
		}
		late += len(d.Late)
		q := quiet.Apply(se)
		if len(q.Changes)+len(q.Late)+len(q.Accruals) > 0 || q.Duplicate != d.Duplicate || (q.Invalid == nil) != (d.Invalid == nil) {
			t.Fatalf("event %d: StateOnly decision %+v, full %+v", i, q, d)
		}
	}
	if len(last) == 0 || late == 0 {
		t.Fatalf("traffic too thin: %d standings changed, %d late hits", len(last), late)
	}
	standings := func(e *aggregator.Engine) map[bu]contest.Standing {
		m := map[bu]contest.Standing{}
		e.Standings(func(id contest.BoardID, user string, st contest.Standing) { m[bu{id, user}] = st })
		return m
	}
	want, got := standings(full), standings(quiet)
	if len(want) != len(got) {
		t.Fatalf("StateOnly holds %d standings, full %d", len(got), len(want))
	}
	for k, st := range want {
		if got[k] != st {
			t.Fatalf("%v: StateOnly %+v, full %+v", k, got[k], st)
		}
		// LastPoints is the last event's points: folding may reset it in the state.
		ch, ok := last[k]
		ch.Standing.LastPoints, st.LastPoints = 0, 0
		if !ok || ch.Removed || ch.Standing != st {
			t.Fatalf("%v: last change %+v (%v), standing %+v", k, ch, ok, st)
		}
	}
}
