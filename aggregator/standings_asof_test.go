package aggregator_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// TestStandingsAsOfPartitionPosition: every standing the engine holds is
// reported as of its partition's highest applied EVENTS sequence — never
// below the sequence of the event that last changed it — so a republished
// standing is not older, by SrcSeq, than any the scorer published for it.
func TestStandingsAsOfPartitionPosition(t *testing.T) {
	t0 := time.Now().UTC()
	e := aggregator.NewEngine(contest.NewRegistry(propertyContests(t, t0)), 0)
	g := &gen{r: rand.New(rand.NewSource(11)), t0: t0}
	part := map[string]int{}
	for i := 0; i < 200; i++ {
		u := fmt.Sprintf("u_%d", i)
		g.users = append(g.users, u)
		part[u] = i % 3
	}
	type bu struct {
		board contest.BoardID
		user  string
	}
	changed := map[bu]uint64{}
	top := map[int]uint64{}
	for i := 0; i < 6000; i++ {
		ev := g.event()
		p, seq := part[ev.user], uint64(i+1)
		d := e.Apply(aggregator.StoredEvent{Subject: fmt.Sprintf("events.%d.%s.%s", p, ev.provider, ev.user), Data: ev.body, Seq: seq, Time: t0})
		for _, ch := range d.Changes {
			changed[bu{ch.Board, ch.User}] = seq
		}
		top[p] = seq
	}
	n := 0
	e.StandingsAsOf(func(id contest.BoardID, user string, _ contest.Standing, asOf uint64) {
		n++
		if want := top[part[user]]; asOf != want {
			t.Fatalf("%v %s: as of %d, its partition applied up to %d", id, user, asOf, want)
		}
		if asOf < changed[bu{id, user}] {
			t.Fatalf("%v %s: as of %d, last changed by seq %d", id, user, asOf, changed[bu{id, user}])
		}
	})
	if n == 0 {
		t.Fatal("no standings held")
	}
}
