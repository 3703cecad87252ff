package rewards

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// BoardRecord is the stored outcome of one board's payout computation.
type BoardRecord struct {
	Contest      string          `json:"contest"`
	Window       time.Time       `json:"window"`
	Division     string          `json:"division"`
	SnapshotID   int64           `json:"snapshot_id"`
	RuleVersion  int             `json:"rule_version"`
	Distribution string          `json:"distribution"`
	Currency     string          `json:"currency"`
	PoolMinor    int64           `json:"pool_minor"`
	PayoutMinor  int64           `json:"payout_minor"`
	Winners      int             `json:"winners"`
	Seed         string          `json:"seed,omitempty"`
	Draw         json.RawMessage `json:"draw,omitempty"`
	ComputedAt   time.Time       `json:"computed_at"`
}

// DistributionNone marks a board whose contest has no rewards: looked at,
// nothing to pay.
const DistributionNone = "none"

// SaveBoard stores the payouts of a board once: a reward per payout and,
// with auto_grant, their grants, in parts of Store.PartRows rewards (each
// its own transaction, up to Store.Workers at a time), then the board
// record, committed last as the mark that the board is paid (board_parts.go).
// It returns false when the board was already stored (by this or another
// process); then nothing changes. r nil records a board without rewards.
func (s *Store) SaveBoard(ctx context.Context, b Board, snapshotID int64, ruleVersion int, r *Rules, res Result) (bool, error) {
	now := s.now()
	rec := BoardRecord{Contest: b.Contest, Window: b.Window, Division: b.Division, SnapshotID: snapshotID,
		RuleVersion: ruleVersion, Distribution: DistributionNone, PayoutMinor: res.Total(), Winners: len(res.Payouts)}
	var draw []byte
	if r != nil {
		rec.Distribution, rec.Currency, rec.PoolMinor = r.Distribution, r.Currency, r.TotalMinor
	}
	if res.Draw != nil {
		rec.Seed = res.Draw.Seed
		var err error
		if draw, err = json.Marshal(res.Draw); err != nil {
			return false, fmt.Errorf("rewards: draw: %w", err)
		}
	}
	if rec.PayoutMinor > rec.PoolMinor {
		return false, fmt.Errorf("rewards: board %s/%s/%s pays %d > pool %d", b.Contest, WindowString(b.Window), b.Division,
			rec.PayoutMinor, rec.PoolMinor)
	}
	if _, err := s.Board(ctx, b.Contest, b.Window, b.Division); !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if r != nil {
		if err := s.saveParts(ctx, b, boardRewards(r, b, res), r.AutoGrant, now); err != nil {
			return false, err
		}
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO reward_boards (contest_id, window_start, division, snapshot_id, rule_version,
		distribution, currency, pool_minor, payout_minor, winners, seed, draw, computed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, ''), $12, $13) ON CONFLICT DO NOTHING`,
		b.Contest, b.Window, b.Division, snapshotID, ruleVersion, rec.Distribution, rec.Currency, rec.PoolMinor,
		rec.PayoutMinor, rec.Winners, rec.Seed, draw, now)
	if err != nil {
		return false, fmt.Errorf("rewards: insert board: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// insertBoardRewards writes rewards of a board part whose row this
// transaction just inserted, so none of them exists yet (their ids hold the
// board): one COPY each into rewards and reward_history, and with auto_grant
// the journal and outbox rows, without a second pass over rewards.
// Holds are read under a SHARE lock (abuse flags with hold under their
// window's lock, flags_hold.go), so a hold put meanwhile waits for this transaction and then finds
// the rewards.
func (s *Store) insertBoardRewards(ctx context.Context, tx pgx.Tx, rs []Reward, auto bool, now time.Time) error {
	if _, err := tx.Exec(ctx, `LOCK TABLE holds IN SHARE MODE`); err != nil {
		return fmt.Errorf("rewards: lock holds: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT user_id FROM holds`)
	if err != nil {
		return fmt.Errorf("rewards: holds: %w", err)
	}
	held := map[string]bool{}
	users, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("rewards: holds: %w", err)
	}
	for _, u := range users {
		held[u] = true
	}
	if err := flagHeldUsers(ctx, tx, rs, held); err != nil {
		return err
	}
	var rest, claimable []Reward
	for i := range rs {
		r := &rs[i]
		r.ComputedAt = now
		switch {
		case held[r.User]:
			r.Status = StatusHeld
		case auto:
			r.Status = StatusGranted
		default:
			r.Status = StatusPending
			exp := now.Add(r.ClaimWindow)
			r.ExpiresAt = &exp
			claimable = append(claimable, *r)
		}
		if r.Status != StatusGranted {
			rest = append(rest, *r)
		}
	}
	// The rows come in reward_id order (saveParts): the reward_id indexes
	// (rewards, journal) are then filled left to right.
	var granted []Reward
	for _, r := range rs {
		if r.Status == StatusGranted {
			granted = append(granted, r)
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"rewards"}, []string{"reward_id", "context", "ctx_id", "window_start",
		"division", "step", "user_id", "pos", "amount_minor", "currency", "kind", "game", "auto_grant", "claim_window_ms",
		"computed_at", "status", "expires_at", "held_left_ms"}, pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
		r := &rs[i]
		var left any
		if r.Status == StatusHeld {
			left = r.ClaimWindow.Milliseconds()
		}
		return []any{r.RewardID, r.Context, r.ID, r.Window, r.Division, r.Step, r.User, int32(*r.Pos), r.AmountMinor,
			r.Currency, r.Kind, r.Game, r.AutoGrant, r.ClaimWindow.Milliseconds(), now, r.Status, r.ExpiresAt, left}, nil
	}))
	if err != nil {
		return fmt.Errorf("rewards: copy rewards: %w", err)
	}
	// History and notices in position order; granted rows' history is
	// written by grantRows. The history goes last (it takes the history
	// lock, held to commit: see Store.history).
	byPos(rest)
	byPos(claimable)
	if err := s.notices(ctx, tx, claimable, now); err != nil {
		return err
	}
	if err := s.grantRows(ctx, tx, granted, ViaAuto, now); err != nil {
		return err
	}
	return s.history(ctx, tx, rest, now)
}

func boardRewards(r *Rules, b Board, res Result) []Reward {
	out := make([]Reward, len(res.Payouts))
	for i, p := range res.Payouts {
		pos := p.Pos
		out[i] = Reward{RewardID: p.RewardID, Context: ContextContest, ID: b.Contest, Window: b.Window, Division: b.Division,
			User: p.User, Pos: &pos, AmountMinor: p.AmountMinor, Currency: r.Currency, Kind: r.Kind, AutoGrant: r.AutoGrant,
			ClaimWindow: r.ClaimWindow}
	}
	return out
}

// Board returns the stored record of a board, ErrNotFound when its payouts
// are not computed yet.
func (s *Store) Board(ctx context.Context, contestID string, window time.Time, division string) (BoardRecord, error) {
	rec := BoardRecord{Contest: contestID, Window: window.UTC(), Division: division}
	var seed *string
	err := s.pool.QueryRow(ctx, `SELECT snapshot_id, rule_version, distribution, currency, pool_minor, payout_minor,
		winners, seed, draw, computed_at FROM reward_boards WHERE contest_id = $1 AND window_start = $2 AND division = $3`,
		contestID, window, division).Scan(&rec.SnapshotID, &rec.RuleVersion, &rec.Distribution, &rec.Currency,
		&rec.PoolMinor, &rec.PayoutMinor, &rec.Winners, &seed, &rec.Draw, &rec.ComputedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return BoardRecord{}, ErrNotFound
	}
	if err != nil {
		return BoardRecord{}, fmt.Errorf("rewards: board: %w", err)
	}
	if seed != nil {
		rec.Seed = *seed
	}
	rec.ComputedAt = rec.ComputedAt.UTC()
	return rec, nil
}

// BoardRewards lists the rewards of a contest board in position order.
func (s *Store) BoardRewards(ctx context.Context, contestID string, window time.Time, division string) ([]Reward, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+rewardColumns+` FROM rewards WHERE context = 'contest' AND ctx_id = $1
		AND window_start = $2 AND division = $3 ORDER BY pos`, contestID, window, division)
	if err != nil {
		return nil, fmt.Errorf("rewards: board rewards: %w", err)
	}
	return collectRewards(rows)
}

// UserRewards lists a user's rewards, oldest first.
func (s *Store) UserRewards(ctx context.Context, user string) ([]Reward, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+rewardColumns+` FROM rewards WHERE user_id = $1
		ORDER BY computed_at, reward_id`, user)
	if err != nil {
		return nil, fmt.Errorf("rewards: user rewards: %w", err)
	}
	return collectRewards(rows)
}

// LastWindow is the latest window of a contest division with computed
// payouts, ErrNotFound when none.
func (s *Store) LastWindow(ctx context.Context, contestID, division string) (time.Time, error) {
	var w time.Time
	err := s.pool.QueryRow(ctx, `SELECT window_start FROM reward_boards WHERE contest_id = $1 AND division = $2
		ORDER BY window_start DESC LIMIT 1`, contestID, division).Scan(&w)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("rewards: last window: %w", err)
	}
	return w.UTC(), nil
}

// StandingsHash is the hex standings hash of a snapshot, the last part of
// a tickets seed.
func (s *Store) StandingsHash(ctx context.Context, snapshotID int64) (string, error) {
	var h []byte
	if err := s.pool.QueryRow(ctx, `SELECT standings_hash FROM snapshots WHERE id = $1`, snapshotID).Scan(&h); err != nil {
		return "", fmt.Errorf("rewards: standings hash: %w", err)
	}
	return hex.EncodeToString(h), nil
}
