package replay

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/board"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app/apptest"
)

// collectTree is collect as it was: one board tree insert per standing
// (the ranker's order), the reference collect must agree with.
func collectTree(opts Options, engines []*aggregator.Engine) map[contest.BoardID][]aggregator.Row {
	type bstate struct {
		lb   contest.Leaderboard
		tree *board.Tree
		st   map[string]contest.Standing
	}
	boards := map[contest.BoardID]*bstate{}
	var key []int64
	for _, e := range engines {
		e.Standings(func(id contest.BoardID, user string, st contest.Standing) {
			if !opts.keepsBoard(id) {
				return
			}
			b := boards[id]
			if b == nil {
				c := opts.Rules.Get(id.Contest)
				if c == nil {
					return
				}
				b = &bstate{lb: c.Leaderboard, tree: board.New(c.Leaderboard.KeyWords()), st: map[string]contest.Standing{}}
				boards[id] = b
			}
			key = b.lb.SortKey(st, key)
			b.tree.Upsert(user, key)
			b.st[user] = st
		})
	}
	out := make(map[contest.BoardID][]aggregator.Row, len(boards))
	for id, b := range boards {
		rows := make([]aggregator.Row, 0, b.tree.Len())
		b.tree.Each(func(pos int, user string, _ []int64) bool {
			rows = append(rows, aggregator.Row{Pos: pos, User: user, Standing: b.st[user]})
			return true
		})
		out[id] = rows
	}
	return out
}

// collect orders every board as the board trees do, on random standings
// with many ties (few distinct scores, user ids of unequal length and shared
// prefixes), a user on two engines (the later engine's standing wins) and
// the contest filter.
func TestCollectAgreesWithTree(t *testing.T) {
	now := time.Now().UTC()
	cs := apptest.BenchContests(t, now)
	rules := contest.NewRegistry(cs)
	for seed := int64(0); seed < 12; seed++ {
		r := rand.New(rand.NewSource(seed))
		engines := make([]*aggregator.Engine, 1+seed%3)
		for i := range engines {
			engines[i] = aggregator.NewEngine(rules, 0)
			engines[i].StateOnly(true)
		}
		users := 50 + r.Intn(400)
		for n := 0; n < 3000; n++ {
			u := r.Intn(users)
			user := fmt.Sprintf("u_%d", u)
			if u%7 == 0 {
				user = fmt.Sprintf("u_%d_x", u*1000)
			}
			w := u % len(engines) // a user's partition: one per engine …
			if u%11 == 0 {
				w = r.Intn(len(engines)) // … but some users' events go to several
			}
			ts := now.Add(-time.Hour).Add(time.Duration(n) * 10 * time.Millisecond)
			se := aggregator.StoredEvent{Subject: fmt.Sprintf("events.%d.acme.%s", w, user),
				Data: apptest.Event(fmt.Sprintf("e%d", n), user, "acme", ts, int64(10*(1+r.Intn(3))), int64(r.Intn(3)*7), []string{"DE", "SE", "FI"}[r.Intn(3)]),
				Seq:  uint64(n + 1), Time: now}
			if d := engines[w].Apply(se); d.Invalid != nil {
				t.Fatalf("seed %d: %v", seed, d.Invalid)
			}
		}
		for _, opts := range []Options{{Rules: rules}, {Rules: rules, Contest: cs[1].ID}, {Rules: rules, Contest: "none"}} {
			want, got := collectTree(opts, engines), collect(opts, engines)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d, contest %q: collect differs from the board trees", seed, opts.Contest)
			}
			if opts.Contest == "" && len(got) != 4 {
				t.Fatalf("seed %d: %d boards", seed, len(got))
			}
		}
	}
}

// BenchmarkCollect orders the boards of BenchmarkReplayVsRead's 300k events
// (two engines, 20k users, four boards) with the board trees as collect did
// (tree) and with collect (sort): the serial tail of a replay's wall time.
func BenchmarkCollect(b *testing.B) {
	now := time.Now().UTC()
	rules := contest.NewRegistry(apptest.BenchContests(b, now))
	engines := []*aggregator.Engine{aggregator.NewEngine(rules, 0), aggregator.NewEngine(rules, 0)}
	for i := 0; i < 300_000; i++ {
		user := fmt.Sprintf("u_%d", i%20000)
		p := i % 20000 % 64
		ts := now.Add(-time.Hour).Add(time.Duration(i) * 10 * time.Millisecond)
		engines[p%2].Apply(aggregator.StoredEvent{Subject: fmt.Sprintf("events.%d.acme.%s", p, user),
			Data: apptest.Event(fmt.Sprintf("e%d", i), user, "acme", ts, int64(10+i%90), int64(i%17*7), []string{"DE", "SE", "FI"}[i%3]),
			Seq:  uint64(i + 1), Time: now})
	}
	opts := Options{Rules: rules}
	b.Run("tree", func(b *testing.B) {
		for b.Loop() {
			collectTree(opts, engines)
		}
	})
	b.Run("sort", func(b *testing.B) {
		for b.Loop() {
			collect(opts, engines)
		}
	})
}
