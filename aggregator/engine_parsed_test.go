package aggregator_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/streams"
)

// ApplyParsed with the subject as streams.ParseEventSubject parses it
// decides as Apply: the same decisions (changes, accruals, invalid
// reasons) and standings, on random events with duplicates, subjects that
// do not parse and subjects that disagree with the event.
func TestApplyParsedAgrees(t *testing.T) {
	now := time.Now().UTC()
	rules := contest.NewRegistry(apptest.BenchContests(t, now))
	subjects := []string{"events.%d.acme.%s", "events.%d.other.%s", "events.x%d.acme.%s", "evts.%d.acme.%s", "events.%d.acme.%s.more"}
	for seed := int64(0); seed < 8; seed++ {
		r := rand.New(rand.NewSource(seed))
		ref, got := aggregator.NewEngine(rules, 0), aggregator.NewEngine(rules, 0)
		for n := 0; n < 4000; n++ {
			u := r.Intn(300)
			user := fmt.Sprintf("u_%d", u)
			subj := subjects[0]
			if r.Intn(10) == 0 {
				subj = subjects[r.Intn(len(subjects))]
			}
			id := fmt.Sprintf("e%d", n)
			if r.Intn(8) == 0 {
				id = fmt.Sprintf("e%d", r.Intn(n+1)) // a duplicate, when that user sent it
			}
			ts := now.Add(-time.Hour).Add(time.Duration(n)*10*time.Millisecond - time.Duration(r.Intn(5000))*time.Millisecond)
			se := aggregator.StoredEvent{Subject: fmt.Sprintf(subj, u%4, user), // a user's partition
				Data: apptest.Event(id, user, "acme", ts, int64(10+r.Intn(90)), int64(r.Intn(17)*7), []string{"DE", "SE", "FI"}[r.Intn(3)]),
				Seq:  uint64(n + 1), Time: now}
			want := ref.Apply(se)
			p, prov, pu, ok := streams.ParseEventSubject(se.Subject)
			if d := got.ApplyParsed(se, p, prov, pu, ok); !reflect.DeepEqual(d, want) {
				t.Fatalf("seed %d event %d (%s): %+v, want %+v", seed, n, se.Subject, d, want)
			}
		}
		type row struct {
			id   contest.BoardID
			user string
		}
		standings := func(e *aggregator.Engine) map[row]contest.Standing {
			m := map[row]contest.Standing{}
			e.Standings(func(id contest.BoardID, user string, st contest.Standing) { m[row{id, user}] = st })
			return m
		}
		if w, g := standings(ref), standings(got); !reflect.DeepEqual(g, w) || len(w) == 0 {
			t.Fatalf("seed %d: standings differ (%d vs %d)", seed, len(g), len(w))
		}
	}
}
