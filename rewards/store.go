package rewards

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps rewards, grants, holds, the ledger and the outbox in Postgres
// (migration 00010). Safe for concurrent use, and by several processes on
// one database: every change of a reward's status happens under its row
// lock, and the unique keys (reward id, board) refuse a second payout.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// PartRows is how many rewards of a board one transaction stores
	// (default DefaultPartRows); Workers how many such transactions run at
	// a time (default DefaultWorkers, at most the pool's connections).
	PartRows, Workers int
}

// NewStore returns a store on pool (see internal/db.Open).
func NewStore(pool *pgxpool.Pool) *Store {
	workers := DefaultWorkers
	if pool != nil {
		workers = min(workers, int(pool.Config().MaxConns))
	}
	return &Store{pool: pool, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		PartRows: DefaultPartRows, Workers: workers}
}

const rewardColumns = `reward_id, context, ctx_id, window_start, division, step, user_id, pos, amount_minor,
	currency, kind, game, auto_grant, claim_window_ms, computed_at, status, expires_at`

func scanReward(row pgx.Row) (Reward, error) {
	var (
		r   Reward
		pos *int32
		cw  int64
	)
	err := row.Scan(&r.RewardID, &r.Context, &r.ID, &r.Window, &r.Division, &r.Step, &r.User, &pos, &r.AmountMinor,
		&r.Currency, &r.Kind, &r.Game, &r.AutoGrant, &cw, &r.ComputedAt, &r.Status, &r.ExpiresAt)
	if err != nil {
		return Reward{}, err
	}
	r.Window = r.Window.UTC()
	r.ComputedAt = r.ComputedAt.UTC()
	if r.ExpiresAt != nil {
		t := r.ExpiresAt.UTC()
		r.ExpiresAt = &t
	}
	if pos != nil {
		p := int(*pos)
		r.Pos = &p
	}
	r.ClaimWindow = time.Duration(cw) * time.Millisecond
	return r, nil
}

func collectRewards(rows pgx.Rows) ([]Reward, error) {
	defer rows.Close()
	var out []Reward
	for rows.Next() {
		r, err := scanReward(rows)
		if err != nil {
			return nil, fmt.Errorf("rewards: scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rewards: rows: %w", err)
	}
	return out, nil
}

// insertRewards stores new rewards (status pending, or held when the user
// is on hold), with their history rows and, for those a player must claim,
// a reward_available notice. Rewards already stored are left alone; it
// returns the ones inserted.
func (s *Store) insertRewards(ctx context.Context, tx pgx.Tx, rs []Reward, now time.Time) ([]Reward, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS new_rewards (LIKE rewards) ON COMMIT DELETE ROWS`); err != nil {
		return nil, fmt.Errorf("rewards: temp table: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM new_rewards`); err != nil {
		return nil, fmt.Errorf("rewards: temp table: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"new_rewards"}, []string{"reward_id", "context", "ctx_id", "window_start",
		"division", "step", "user_id", "pos", "amount_minor", "currency", "kind", "game", "auto_grant", "claim_window_ms",
		"computed_at", "status", "expires_at"}, pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
		r := &rs[i]
		var pos any
		if r.Pos != nil {
			pos = int32(*r.Pos)
		}
		exp := now.Add(r.ClaimWindow)
		return []any{r.RewardID, r.Context, r.ID, r.Window, r.Division, r.Step, r.User, pos, r.AmountMinor, r.Currency,
			r.Kind, r.Game, r.AutoGrant, r.ClaimWindow.Milliseconds(), now, StatusPending, exp}, nil
	}))
	if err != nil {
		return nil, fmt.Errorf("rewards: copy rewards: %w", err)
	}
	// Users on hold, and contest rewards an abuse flag holds (flags_hold.go):
	// the reward is held, its claim clock paused.
	rows, err := tx.Query(ctx, `INSERT INTO rewards SELECT n.reward_id, n.context, n.ctx_id, n.window_start, n.division,
		n.step, n.user_id, n.pos, n.amount_minor, n.currency, n.kind, n.game, n.auto_grant, n.claim_window_ms, n.computed_at,
		CASE WHEN h.user_id IS NULL AND f.user_id IS NULL THEN 'pending' ELSE 'held' END,
		CASE WHEN h.user_id IS NULL AND f.user_id IS NULL THEN n.expires_at END,
		CASE WHEN h.user_id IS NULL AND f.user_id IS NULL THEN NULL ELSE n.claim_window_ms END
		FROM new_rewards n LEFT JOIN holds h ON h.user_id = n.user_id
		LEFT JOIN (SELECT DISTINCT user_id, contest_id, window_start FROM abuse_flags WHERE hold AND cleared_at IS NULL) f
			ON n.context = 'contest' AND f.user_id = n.user_id AND f.contest_id = n.ctx_id AND f.window_start = n.window_start
		ON CONFLICT (reward_id) DO NOTHING RETURNING `+rewardColumns)
	if err != nil {
		return nil, fmt.Errorf("rewards: insert rewards: %w", err)
	}
	ins, err := collectRewards(rows)
	if err != nil {
		return nil, err
	}
	if err := s.history(ctx, tx, ins, now); err != nil {
		return nil, err
	}
	var claimable []Reward
	for _, r := range ins {
		if r.Status == StatusPending && !r.AutoGrant {
			claimable = append(claimable, r)
		}
	}
	return ins, s.notices(ctx, tx, claimable, now)
}

// history appends one reward_history row per reward, with its status now.
// It first takes the history lock, which the transaction holds to its end:
// reward_history ids are then taken in commit order, so the ETL, reading
// id > its checkpoint, never passes an id still to commit (the parts of a
// board commit side by side; each takes the lock for its last step).
func (s *Store) history(ctx context.Context, tx pgx.Tx, rs []Reward, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('rankstream|reward_history', 0))`); err != nil {
		return fmt.Errorf("rewards: history lock: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"reward_history"}, []string{"reward_id", "context", "ctx_id", "window_start",
		"division", "user_id", "pos", "amount_minor", "currency", "kind", "status", "at"},
		pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
			r := &rs[i]
			var pos any
			if r.Pos != nil {
				pos = int32(*r.Pos)
			}
			return []any{r.RewardID, r.Context, r.ID, r.Window, r.Division, r.User, pos, r.AmountMinor, r.Currency,
				r.Kind, r.Status, now}, nil
		}))
	if err != nil {
		return fmt.Errorf("rewards: history: %w", err)
	}
	return nil
}

// Notice is a reward_available notice: the shape of notifier.NoticeMsg
// (CONTRACT.md §5, type "notice"), on the same subject, so the gateway
// forwards it like the notifier's notices.
type Notice struct {
	Type     string `json:"type"`
	Contest  string `json:"contest"`
	Window   string `json:"window"`
	Kind     string `json:"kind"`
	User     string `json:"user,omitempty"`
	RewardID string `json:"reward_id"`
}

// notices queues a reward_available notice per reward in the outbox.
func (s *Store) notices(ctx context.Context, tx pgx.Tx, rs []Reward, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	if err := queueOutbox(ctx, tx, rs, false, now); err != nil {
		return fmt.Errorf("rewards: queue notices: %w", err)
	}
	return nil
}

// notice is the reward_available notice of r. A mission's notice goes to
// the mission's id in the contest's place.
func (r *Reward) notice() Notice {
	return Notice{Type: "notice", Contest: r.ID, Window: WindowString(r.Window), Kind: "reward_available", User: r.User,
		RewardID: r.RewardID}
}
