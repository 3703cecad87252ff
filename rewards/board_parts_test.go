package rewards

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// partsBoard is a proportional auto_grant board of n entries, every entry
// paid, and its payouts.
func partsBoard(t *testing.T, contestID string, n int) (Board, *Rules, Result) {
	t.Helper()
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Pos: i + 1, User: fmt.Sprintf("u_%d", i+1), Score: int64(1000 - i)}
	}
	r := &Rules{Currency: "EUR", TotalMinor: 1_000_000, Distribution: Proportional, Kind: KindCash, Desc: true,
		ClaimWindow: time.Hour, AutoGrant: true}
	b := Board{Contest: contestID, Window: testWindow, StandingsHash: sha256.Sum256([]byte(contestID))}
	res, err := Compute(r, b, entries)
	if err != nil || len(res.Payouts) != n {
		t.Fatalf("compute: %d payouts, %v", len(res.Payouts), err)
	}
	return b, r, res
}

// TestBoardPartsResume: a crash after some parts of a board committed (and
// before its record) leaves a board that a later SaveBoard completes, each
// reward stored and granted once; and two stores saving one board at the
// same time store it once.
func TestBoardPartsResume(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := NewStore(e.pool)
	st.PartRows = 7
	b, r, res := partsBoard(t, "t_parts", 50)
	rs := boardRewards(r, b, res)
	sort.Slice(rs, func(i, j int) bool { return rs[i].RewardID < rs[j].RewardID })
	now := st.now()
	// Parts 0 and 2 committed, then the process died.
	for _, p := range []int{0, 2} {
		if err := st.savePart(ctx, b, p, rs[7*p:7*p+7], true, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Board(ctx, b.Contest, b.Window, b.Division); err != ErrNotFound {
		t.Fatalf("board record before its parts: %v", err)
	}
	st.PartRows = 11 // a process configured otherwise resumes the stored cut
	if ok, err := st.SaveBoard(ctx, b, 1, 1, r, res); !ok || err != nil {
		t.Fatalf("resume: %v %v", ok, err)
	}
	if ok, err := st.SaveBoard(ctx, b, 1, 1, r, res); ok || err != nil {
		t.Fatalf("second save: %v %v", ok, err)
	}
	b2, r2, res2 := partsBoard(t, "t_parts2", 60)
	var wg sync.WaitGroup
	saved := make([]bool, 3)
	for i := range saved {
		other := NewStore(e.newPool(t))
		other.PartRows, other.Workers = 5, 1+i
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := other.SaveBoard(ctx, b2, 2, 1, r2, res2)
			if err != nil {
				t.Error(err)
			}
			saved[i] = ok
		}()
	}
	wg.Wait()
	if n := countTrue(saved); n != 1 {
		t.Fatalf("%d stores saved the board: %v", n, saved)
	}
	var rewardsN, parts, outbox int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM rewards), (SELECT count(*) FROM reward_board_parts),
		(SELECT count(*) FROM outbox WHERE jetstream)`).Scan(&rewardsN, &parts, &outbox); err != nil {
		t.Fatal(err)
	}
	if g := e.ledgerCheck(t); g != 110 || rewardsN != 110 || outbox != 110 || parts != 8+12 {
		t.Fatalf("%d grants, %d rewards, %d outbox rows, %d parts; want 110, 110, 110, 20", g, rewardsN, outbox, parts)
	}
	var paid int64
	if err := e.pool.QueryRow(ctx, `SELECT sum(amount_minor) FROM ledger_postings WHERE account LIKE 'pool:t_parts:%'`).Scan(&paid); err != nil || paid != res.Total() {
		t.Fatalf("paid %d, want %d: %v", paid, res.Total(), err)
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
