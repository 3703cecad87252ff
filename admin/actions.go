package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Operator actions.
const (
	ActionFreeze   = "freeze"
	ActionUnfreeze = "unfreeze"
	ActionFinalize = "finalize"
)

// Action is one recorded freeze, unfreeze or finalize. It takes effect for
// events arriving (JetStream time) at or after EffectiveAt.
type Action struct {
	ID          int64
	Contest     string
	Action      string
	WindowStart *time.Time // finalize only
	EffectiveAt time.Time
}

// Record appends an action.
func (s *Store) Record(ctx context.Context, a Action) (Action, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO contest_actions (contest_id, action, window_start, effective_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, a.Contest, a.Action, a.WindowStart, a.EffectiveAt).Scan(&a.ID)
	if err != nil {
		return Action{}, fmt.Errorf("admin: record %s of %s: %w", a.Action, a.Contest, err)
	}
	return a, nil
}

// Actions lists the actions recorded for a contest ("" for all), in order.
func (s *Store) Actions(ctx context.Context, contestID string) ([]Action, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, contest_id, action, window_start, effective_at FROM contest_actions
		WHERE $1 = '' OR contest_id = $1 ORDER BY id`, contestID)
	if err != nil {
		return nil, fmt.Errorf("admin: actions: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		if err := rows.Scan(&a.ID, &a.Contest, &a.Action, &a.WindowStart, &a.EffectiveAt); err != nil {
			return nil, fmt.Errorf("admin: scan action: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("admin: actions: %w", err)
	}
	return out, nil
}

// Apply puts an action in force in rules.
func Apply(rules *contest.Registry, a Action) {
	switch a.Action {
	case ActionFreeze:
		rules.Freeze(a.Contest, true, a.EffectiveAt)
	case ActionUnfreeze:
		rules.Freeze(a.Contest, false, a.EffectiveAt)
	case ActionFinalize:
		if a.WindowStart != nil {
			rules.CloseWindow(a.Contest, a.WindowStart.Unix(), a.EffectiveAt)
		}
	}
}

// LoadActions applies every recorded action of contestID ("" for all) to rules.
func (s *Store) LoadActions(ctx context.Context, rules *contest.Registry, contestID string) error {
	as, err := s.Actions(ctx, contestID)
	if err != nil {
		return err
	}
	for _, a := range as {
		Apply(rules, a)
	}
	return nil
}
