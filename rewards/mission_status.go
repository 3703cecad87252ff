package rewards

import (
	"context"
	"fmt"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// MissionStatus tells what became of a user's rewards of a mission window
// (for reward_ready, contest.Mission.ReadyWith): which steps have a stored
// reward and which of those wait for the player's claim.
func (s *Store) MissionStatus(ctx context.Context, mission string, window time.Time, user string) (contest.RewardStatus, error) {
	rows, err := s.pool.Query(ctx, `SELECT step, status, auto_grant FROM rewards
		WHERE context = $1 AND ctx_id = $2 AND window_start = $3 AND user_id = $4`, ContextMission, mission, window, user)
	if err != nil {
		return nil, fmt.Errorf("rewards: mission status: %w", err)
	}
	defer rows.Close()
	claimable := map[string]bool{}
	for rows.Next() {
		var (
			step, status string
			auto         bool
		)
		if err := rows.Scan(&step, &status, &auto); err != nil {
			return nil, fmt.Errorf("rewards: mission status: %w", err)
		}
		claimable[step] = status == StatusPending && !auto
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rewards: mission status: %w", err)
	}
	return func(step string) (bool, bool) {
		c, ok := claimable[step]
		return ok, c
	}, nil
}
