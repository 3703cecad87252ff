package app

import (
	"context"
	"fmt"

	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/query"
	"github.com/rankstream/rankstream/readmodel"
)

// buildAPI mounts the admin API, the query API, the mission endpoints,
// accounts, the WebSocket gateway and the live page.
func (a *App) buildAPI(ctx context.Context) error {
	if !a.stages[StageAPI] {
		return nil
	}
	if err := a.registerAdmin(a.mux); err != nil {
		return err
	}
	q, err := query.New(query.Options{Reader: readmodel.NewReader(a.Redis, a.opts.RedisPrefix),
		Contests: a.Rules.All, Frozen: a.Rules.Frozen, ClosedAt: a.Rules.ClosedAt, Pseudonym: pseudonym.New(a.opts.PseudonymKey)},
		a.base, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: query: %w", err)
	}
	q.Register(a.mux)
	q.RegisterMissions(a.mux, a.missionOptions())
	return a.mountLive(ctx, a.mux)
}
