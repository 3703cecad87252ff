package replay

import (
	"slices"
	"strings"
	"sync"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// collect orders every kept board as the ranker does: by the contest's sort
// key words, then by user id bytewise (the board tree's order). Each
// engine's standings are gathered on a goroutine of its own, then each
// board is sorted on its own, instead of one board tree insert per standing
// on one goroutine (a serial tail of the replay). collect_test.go compares
// it with the board trees.
func collect(opts Options, engines []*aggregator.Engine) map[contest.BoardID][]aggregator.Row {
	gathered := make([]map[contest.BoardID]*boardRows, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Go(func() { gathered[i] = gather(opts, e) })
	}
	wg.Wait()
	boards := map[contest.BoardID]*boardRows{}
	var ids []contest.BoardID
	for _, g := range gathered { // in engine order: a later standing of a user wins, as before
		for id, b := range g {
			if all := boards[id]; all != nil {
				all.users = append(all.users, b.users...)
				all.sts = append(all.sts, b.sts...)
				all.keys = append(all.keys, b.keys...)
				continue
			}
			boards[id] = b
			ids = append(ids, id)
		}
	}
	out := make(map[contest.BoardID][]aggregator.Row, len(boards))
	rows := make([][]aggregator.Row, len(ids))
	work := make(chan int, len(ids))
	for i := range ids {
		work <- i
	}
	close(work)
	for range min(len(engines), len(ids)) {
		wg.Go(func() {
			for i := range work {
				rows[i] = boards[ids[i]].rows()
			}
		})
	}
	wg.Wait()
	for i, id := range ids {
		out[id] = rows[i]
	}
	return out
}

// keepsBoard reports whether the replay keeps board id (Contest, Window).
func (o Options) keepsBoard(id contest.BoardID) bool {
	return (o.Contest == "" || id.Contest == o.Contest) && (!o.HasWindow || id.Window == o.Window)
}

// boardRows is one board's standings in the order gathered: user i's
// standing sts[i], its sort key keys[i*w:(i+1)*w].
type boardRows struct {
	w     int // words of a sort key
	lb    *contest.Leaderboard
	users []string
	sts   []contest.Standing
	keys  []int64
}

// gather collects the kept standings of one engine by board.
func gather(opts Options, e *aggregator.Engine) map[contest.BoardID]*boardRows {
	boards := map[contest.BoardID]*boardRows{}
	var key []int64
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
			b = &boardRows{w: c.Leaderboard.KeyWords(), lb: &c.Leaderboard}
			boards[id] = b
		}
		b.users = append(b.users, user)
		b.sts = append(b.sts, st)
		key = b.lb.SortKey(st, key)
		b.keys = append(b.keys, key...)
	})
	return boards
}

// rows orders the board: each user once (its last standing gathered, as an
// upsert keeps the last), by key words, then user id.
func (b *boardRows) rows() []aggregator.Row {
	at := make(map[string]int, len(b.users))
	order := make([]int, 0, len(b.users))
	for i, u := range b.users {
		if j, ok := at[u]; ok {
			order[j] = i
			continue
		}
		at[u] = len(order)
		order = append(order, i)
	}
	slices.SortFunc(order, func(x, y int) int {
		if c := slices.Compare(b.keys[x*b.w:(x+1)*b.w], b.keys[y*b.w:(y+1)*b.w]); c != 0 {
			return c
		}
		return strings.Compare(b.users[x], b.users[y])
	})
	rows := make([]aggregator.Row, len(order))
	for pos, i := range order {
		rows[pos] = aggregator.Row{Pos: pos + 1, User: b.users[i], Standing: b.sts[i]}
	}
	return rows
}
