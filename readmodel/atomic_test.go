package readmodel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

func TestApplyAtomic(t *testing.T) {
	w, r, _ := newWriter(t)
	ctx := context.Background()
	const users, boards, rounds, moves = 2000, 3, 25, 600
	meta := BoardMeta{NWords: 2, Order: OrderDesc}
	ids := make([]contest.BoardID, boards)
	keys := make([]map[string][]int64, boards)
	rng := rand.New(rand.NewPCG(7, 8))
	var first []BoardChange
	for b := range ids {
		ids[b] = contest.BoardID{Contest: "atomic", Window: 1, Division: fmt.Sprint("d", b)}
		keys[b] = map[string][]int64{}
		bc := BoardChange{ID: ids[b], Meta: meta}
		for u := range users {
			user := fmt.Sprintf("u%03d", u)
			k := []int64{-rng.Int64N(50), rng.Int64N(3)}
			keys[b][user] = k
			bc.Upserts = append(bc.Upserts, Upsert{User: user, Key: k})
		}
		first = append(first, bc)
	}
	if err := w.Apply(ctx, first); err != nil {
		t.Fatal(err)
	}

	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := readConsistently(ctx, r, ids, g, users, &stop, &reads); err != nil {
				errc <- err
			}
		}()
	}
	for range rounds {
		if err := w.Apply(ctx, randomMoves(rng, ids, keys, meta, users, moves)); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if reads.Load() == 0 {
		t.Fatal("no concurrent reads happened")
	}
	for b := range ids {
		var st []standing
		for u, k := range keys[b] {
			st = append(st, standing{u, k})
		}
		checkBoard(t, r, ids[b], refRows(st, OrderDesc))
	}
	t.Logf("%d consistent reads during %d write batches", reads.Load(), rounds)
}

// readConsistently reads boards (starting at ids[g]) until stop: every top
// must be a whole board with distinct users in order, and me must find its
// user; reads counts the reads.
func readConsistently(ctx context.Context, r *Reader, ids []contest.BoardID, g, users int, stop *atomic.Bool, reads *atomic.Int64) error {
	for i := 0; !stop.Load(); i++ {
		id := ids[(g+i)%len(ids)]
		rows, total, _, err := r.Top(ctx, id, 0, users+50)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for j, row := range rows {
			if seen[row.User] || row.Pos != j+1 {
				return fmt.Errorf("board %s: user %s twice or position %d at index %d", id, row.User, row.Pos, j)
			}
			seen[row.User] = true
		}
		if total != int64(users) || len(rows) != users {
			return fmt.Errorf("board %s: total %d, %d rows, want %d", id, total, len(rows), users)
		}
		me, err := r.Me(ctx, id, fmt.Sprintf("u%03d", i%users))
		if err != nil || me == nil {
			return fmt.Errorf("board %s: me missing: %v", id, err)
		}
		reads.Add(1)
	}
	return nil
}

// randomMoves is one batch: up to moves users per board get a new random
// key (keys is updated).
func randomMoves(rng *rand.Rand, ids []contest.BoardID, keys []map[string][]int64, meta BoardMeta, users, moves int) []BoardChange {
	var changes []BoardChange
	for b := range ids {
		bc := BoardChange{ID: ids[b], Meta: meta}
		picked := map[string]bool{}
		for range moves {
			user := fmt.Sprintf("u%03d", rng.IntN(users))
			if picked[user] {
				continue
			}
			picked[user] = true
			k := []int64{-rng.Int64N(50), rng.Int64N(3)}
			bc.Upserts = append(bc.Upserts, Upsert{User: user, Key: k, OldKey: keys[b][user]})
			keys[b][user] = k
		}
		changes = append(changes, bc)
	}
	return changes
}
