package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rankstream/rankstream/admin"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/snapshotter"
)

// needsPostgres reports whether a selected stage keeps state in Postgres:
// the snapshotter (snapshots), the api (admin: contest versions) and the
// rewards stage.
func (a *App) needsPostgres() bool {
	return a.opts.PostgresURL != "" && (a.stages[StageSnapshotter] || a.stages[StageAPI] || a.stages[StageAggregator] ||
		a.stages[StageRewards] || a.stages[StageETL])
}

// openPostgres migrates the database, opens the application pool and puts
// the stored contest versions over the files' (admin.Store.Reconcile).
func (a *App) openPostgres(ctx context.Context, files []*contest.Contest) ([]*contest.Contest, error) {
	if !a.needsPostgres() {
		if a.opts.PostgresURL == "" {
			a.log.Warn("no postgres url: no snapshots, contest versions or admin API")
		}
		return files, nil
	}
	pool, err := db.Open(ctx, a.opts.PostgresURL, a.log)
	if err != nil {
		return nil, fmt.Errorf("app: postgres: %w", err)
	}
	a.DB = pool
	a.Versions = admin.NewStore(pool)
	cs, err := a.Versions.Reconcile(ctx, files, a.log)
	if err != nil {
		return nil, fmt.Errorf("app: contest versions: %w", err)
	}
	return cs, nil
}

// loadActions puts the recorded freezes and finalizes in force.
func (a *App) loadActions(ctx context.Context) error {
	if a.Versions == nil {
		return nil
	}
	if err := a.Versions.LoadActions(ctx, a.Rules, ""); err != nil {
		return fmt.Errorf("app: contest actions: %w", err)
	}
	return nil
}

// newSnapshotter prepares the snapshotter stage (it needs the aggregator in
// this process, whose boards it copies).
func (a *App) newSnapshotter() error {
	if !a.stages[StageSnapshotter] || a.DB == nil {
		return nil
	}
	if a.Ranker == nil {
		a.log.Warn("snapshotter needs the aggregator stage in the same process; not started")
		return nil
	}
	s, err := snapshotter.New(snapshotter.Options{Store: snapshotter.NewStore(a.DB), JS: a.Streams.JS, Rules: a.Rules,
		Scorer: a.Scorer, Ranker: a.Ranker, Interval: a.opts.SnapshotInterval, Metrics: snapshotter.NewMetrics(a.opts.Registry)}, a.log)
	if err != nil {
		return fmt.Errorf("app: snapshotter: %w", err)
	}
	a.Snapshotter = s
	return nil
}

// registerAdmin adds the admin API to the api stage's mux.
func (a *App) registerAdmin(mux *http.ServeMux) error {
	if a.Versions == nil {
		return nil
	}
	var fin admin.Finalizer
	if a.Snapshotter != nil {
		fin = a.Snapshotter
	}
	h, err := admin.New(admin.Options{Token: a.opts.AdminToken, Store: a.Versions, Rules: a.Rules, Finalizer: fin,
		Validate: validateRewards}, a.log, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: admin: %w", err)
	}
	h.Register(mux)
	return nil
}
