package rewards

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

const ladderRewards = `rewards:
  pool: {currency: EUR, total_minor: 10000}
  distribution: ladder
  ladder: [{ranks: "1", share: 0.5}, {ranks: "2-4", share: 0.1}]
  min_score: 1
  claim_window: 1h
`

// TestTwoStagesPayOnce: two stages on their own pools compute, and two
// players' claims race on both: each reward is stored, granted, posted and
// published once.
func TestTwoStagesPayOnce(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.putContest(t, "t_two", ladderRewards)
	h := e.finalSnapshot(t, "t_two", "", []int64{90, 50, 40, 0, -3})
	a, b := e.stage(t, e.newPool(t)), e.stage(t, e.newPool(t))
	var wg sync.WaitGroup
	for _, s := range []*Stage{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				s.Round(ctx)
			}
		}()
	}
	wg.Wait()
	rec, err := a.Store.Board(ctx, "t_two", testWindow, "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.SnapshotID != h.ID || rec.PayoutMinor != 5000+1000+1000 || rec.Winners != 3 {
		t.Fatalf("board = %+v", rec)
	}
	rs, err := a.Store.BoardRewards(ctx, "t_two", testWindow, "")
	if err != nil || len(rs) != 3 || rs[0].User != "u_1" || rs[0].AmountMinor != 5000 || rs[2].User != "u_3" || rs[0].Status != StatusPending {
		t.Fatalf("rewards = %+v, %v", rs, err)
	}
	// Every winner claims twice at once, through both processes.
	req := ClaimRequest{Context: ContextContest, ID: "t_two", Window: "2025-10-25T18:00:00Z"}
	created := make(chan string, 12)
	for _, r := range rs {
		for _, s := range []*Stage{a, b, a} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, isNew, err := s.Store.Claim(ctx, r.User, req)
				if err != nil || got.RewardID != r.RewardID || got.Status != StatusGranted {
					t.Errorf("claim %s: %+v %v", r.User, got, err)
				}
				if isNew {
					created <- got.RewardID
				}
			}()
		}
	}
	wg.Wait()
	close(created)
	seen := map[string]bool{}
	for id := range created {
		if seen[id] {
			t.Fatalf("%s granted twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 3 {
		t.Fatalf("granted %d, want 3", len(seen))
	}
	a.Round(ctx)
	b.Round(ctx)
	if n := e.ledgerCheck(t); n != 3 {
		t.Fatalf("grants = %d", n)
	}
	ids, bodies := e.walletMsgs(t)
	if len(ids) != 3 {
		t.Fatalf("wallet messages by id: %v", ids)
	}
	for _, p := range bodies {
		if ids[p.RewardID] != 1 || p.Context != ContextContest || p.ID != "t_two" || p.Window != "2025-10-25T18:00:00Z" || p.Currency != "EUR" {
			t.Fatalf("posting %+v (ids %v)", p, ids)
		}
	}
}

// TestClaimRefusals: another player's reward, after the claim window, on
// hold; a lifted hold lets the claim through with the paused clock.
func TestClaimRefusals(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.putContest(t, "t_ref", ladderRewards)
	e.finalSnapshot(t, "t_ref", "", []int64{90, 50})
	s := e.stage(t, e.pool)
	st := s.Store
	base := time.Now().UTC()
	clock := base
	st.now = func() time.Time { return clock }
	s.Round(ctx)
	req := ClaimRequest{Context: ContextContest, ID: "t_ref", Window: "2025-10-25T18:00:00Z"}

	if _, _, err := st.Claim(ctx, "u_9", req); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another player's reward: %v", err)
	}
	if _, _, err := st.Claim(ctx, "u_1", ClaimRequest{Context: ContextContest, ID: "t_ref", Window: "2025-10-25T19:00:00Z"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("wrong window: %v", err)
	}
	if err := st.PutHold(ctx, "u_1", "kyc"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Claim(ctx, "u_1", req); !errors.Is(err, ErrHeld) {
		t.Fatalf("on hold: %v", err)
	}
	// Two hours on hold do not count against the one-hour claim window.
	clock = base.Add(2 * time.Hour)
	s.Round(ctx)
	if ok, err := st.DeleteHold(ctx, "u_1"); !ok || err != nil {
		t.Fatalf("delete hold: %v %v", ok, err)
	}
	r, isNew, err := st.Claim(ctx, "u_1", req)
	if err != nil || !isNew || r.AmountMinor != 5000 {
		t.Fatalf("claim after hold: %+v %v %v", r, isNew, err)
	}
	if r2, isNew, err := st.Claim(ctx, "u_1", req); err != nil || isNew || r2.RewardID != r.RewardID {
		t.Fatalf("repeated claim: %+v %v %v", r2, isNew, err)
	}
	// u_2 did not claim within the hour: the round at +2h expired it.
	if _, _, err := st.Claim(ctx, "u_2", req); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	var hist []string
	rows, _ := e.pool.Query(ctx, `SELECT user_id || ':' || status FROM reward_history ORDER BY id`)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		hist = append(hist, s)
	}
	want := "[u_1:pending u_2:pending u_1:held u_2:expired u_1:pending u_1:granted]"
	if got := fmtSlice(hist); got != want {
		t.Fatalf("history %s, want %s", got, want)
	}
}

// TestLedgerRefusesChanges: the app role can neither change nor remove a
// posting, a grant or a history row, and a posting that is not a balanced
// pair of a pool and a player account is refused.
func TestLedgerRefusesChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const ins = `INSERT INTO ledger_journal (reward_id, debit, credit, amount_minor, currency, via, at) VALUES `
	if _, err := e.pool.Exec(ctx, ins+`('rw_x', 'pool:c', 'player:u', 5, 'EUR', 'auto', now())`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		ins + `('rw_x', 'pool:c', 'player:u', 5, 'EUR', 'auto', now())`, // a second posting of a reward
		ins + `('rw_y', 'pool:c', 'player:u', 0, 'EUR', 'auto', now())`,
		ins + `('rw_y', 'pool:c', 'player:u', -5, 'EUR', 'auto', now())`,
		ins + `('rw_y', 'player:u', 'pool:c', 5, 'EUR', 'auto', now())`,
		ins + `('rw_y', 'pool:c', 'pool:c', 5, 'EUR', 'auto', now())`,
		`INSERT INTO ledger_postings (reward_id, account, amount_minor, currency, at) VALUES ('rw_z', 'pool:c', 5, 'EUR', now())`,
		`INSERT INTO grants (reward_id, via, granted_at) VALUES ('rw_z', 'auto', now())`,
	} {
		if _, err := e.pool.Exec(ctx, q); err == nil {
			t.Fatalf("%s: accepted", q)
		}
	}
	for _, q := range []string{
		`UPDATE ledger_journal SET amount_minor = 6 WHERE reward_id = 'rw_x'`,
		`DELETE FROM ledger_journal`,
		`TRUNCATE ledger_journal`,
		`UPDATE ledger_postings SET amount_minor = 6 WHERE reward_id = 'rw_x'`,
		`DELETE FROM ledger_postings`,
		`DELETE FROM grants`,
		`UPDATE reward_history SET status = 'granted'`,
		`DELETE FROM reward_board_parts`,
	} {
		if _, err := e.pool.Exec(ctx, q); err == nil {
			t.Fatalf("%s: accepted", q)
		}
	}
	var legs int
	var sum, pool int64
	if err := e.pool.QueryRow(ctx, `SELECT count(*), sum(amount_minor), sum(amount_minor) FILTER (WHERE account = 'pool:c')
		FROM ledger_postings`).Scan(&legs, &sum, &pool); err != nil || legs != 2 || sum != 0 || pool != 5 {
		t.Fatalf("postings: %d legs, sum %d, pool %d, %v", legs, sum, pool, err)
	}
}
