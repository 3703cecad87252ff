package rewards

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults of Store.PartRows and Store.Workers.
const (
	DefaultPartRows = 20_000
	DefaultWorkers  = 3
)

// saveParts stores the rewards of a board (and with auto_grant their
// grants) in parts: rs in reward_id order cut every PartRows rewards, so the
// parts are the same in every process and after a restart. Each part is one
// transaction that first inserts its reward_board_parts row (the size of
// the cut is that of a stored first part, if any): a part already
// stored (before a crash, or by another process, which this one then waits
// for) is skipped whole, so no reward is stored or granted twice. Up to
// Workers parts run at a time, each on its own connection. The caller
// writes the board record once every part is stored.
func (s *Store) saveParts(ctx context.Context, b Board, rs []Reward, auto bool, now time.Time) error {
	sort.Slice(rs, func(i, j int) bool { return rs[i].RewardID < rs[j].RewardID })
	size, err := s.partSize(ctx, b)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, max(1, s.Workers))
	for part, lo := 0, 0; lo < len(rs); part, lo = part+1, lo+size {
		chunk := rs[lo:min(lo+size, len(rs))]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.savePart(ctx, b, part, chunk, auto, now); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// partSize is the size of the board's parts: that of its stored first part
// when there is one (a process with another PartRows resumes the same cut),
// else PartRows.
func (s *Store) partSize(ctx context.Context, b Board) (int, error) {
	var size int
	err := s.pool.QueryRow(ctx, `SELECT rewards FROM reward_board_parts WHERE contest_id = $1 AND window_start = $2
		AND division = $3 AND part = 0`, b.Contest, b.Window, b.Division).Scan(&size)
	switch {
	case err == nil:
		return max(1, size), nil
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, fmt.Errorf("rewards: board parts: %w", err)
	case s.PartRows > 0:
		return s.PartRows, nil
	}
	return DefaultPartRows, nil
}

// savePart stores one part of a board's rewards in one transaction, unless
// its part row exists.
func (s *Store) savePart(ctx context.Context, b Board, part int, rs []Reward, auto bool, now time.Time) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO reward_board_parts (contest_id, window_start, division, part, rewards, stored_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, b.Contest, b.Window, b.Division, part, len(rs), now)
		if err != nil {
			return fmt.Errorf("rewards: board part %d: %w", part, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		return s.insertBoardRewards(ctx, tx, rs, auto, now)
	})
}

// byPos sorts contest rewards in position order.
func byPos(rs []Reward) {
	sort.Slice(rs, func(i, j int) bool { return *rs[i].Pos < *rs[j].Pos })
}
