package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rankstream/rankstream/admin"
	"github.com/rankstream/rankstream/aggregator"
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
	pool, err := db.Open(ctx, a.opts.PostgresURL, a.base)
	if err != nil {
		return nil, fmt.Errorf("app: postgres: %w", err)
	}
	a.DB = pool
	a.cleanup.push(pool.Close)
	a.Versions = admin.NewStore(pool)
	cs, err := a.Versions.Reconcile(ctx, files, a.base.With("component", "versions"))
	if err != nil {
		return nil, fmt.Errorf("app: contest versions: %w", err)
	}
	return cs, nil
}

// newSnapshotter prepares the snapshotter stage. With the aggregator in
// this process it copies this process's ranker and snapshots the boards of
// the groups it owns. Alone (--only snapshotter, shared scorers) it keeps
// the boards with a ranker of its own that writes nothing, asks the scorers
// of the other processes for cuts through the lease bucket, and snapshots
// every board while it holds the "snapshotter" lease.
func (a *App) newSnapshotter() error {
	if !a.stages[StageSnapshotter] || a.DB == nil {
		return nil
	}
	var (
		scores snapshotter.Scores
		boards snapshotter.Boards
	)
	if a.Ranker != nil {
		scores, boards = a.Scorer, a.Ranker
	} else {
		var err error
		if scores, boards, err = a.snapshotterSources(); err != nil {
			return err
		}
	}
	s, err := snapshotter.New(snapshotter.Options{Store: snapshotter.NewStore(a.DB), JS: a.Streams.JS, Rules: a.Rules,
		Scorer: scores, Ranker: boards, Interval: a.opts.SnapshotInterval, Metrics: snapshotter.NewMetrics(a.opts.Registry)}, a.base)
	if err != nil {
		return fmt.Errorf("app: snapshotter: %w", err)
	}
	a.Snapshotter = s
	a.goStage("snapshotter", s.Run)
	return nil
}

// snapshotterSources are the boards and cuts of a snapshotter of its own.
func (a *App) snapshotterSources() (snapshotter.Scores, snapshotter.Boards, error) {
	st := a.Streams
	m := aggregator.NewMetrics(nil)
	r, err := aggregator.NewRanker(aggregator.RankerOptions{JS: st.JS, Rules: a.Rules, Tick: a.opts.RankerTick, Metrics: m,
		FinishedWindows: a.opts.FinishedWindows}, a.base)
	if err != nil {
		return nil, nil, fmt.Errorf("app: snapshotter boards: %w", err)
	}
	ljs, err := a.leaseJS()
	if err != nil {
		return nil, nil, err
	}
	lease, err := aggregator.NewLeader(aggregator.LeaderOptions{JS: ljs, Name: "snapshotter", Instance: a.instanceName(),
		TTL: a.opts.LeaseTTL, Replicas: st.Opts.Replicas, Metrics: a.roleMetrics()}, a.base)
	if err != nil {
		return nil, nil, fmt.Errorf("app: snapshotter lease: %w", err)
	}
	a.goStage("snapshotter boards", r.Run)
	a.goStage("snapshotter lease", lease.Run)
	return aggregator.NewCutClient(st.JS, st.Opts.Partitions, a.opts.LeaseTTL, st.Opts.Replicas),
		snapshotter.OwnedBoards{Ranker: r, Lease: lease}, nil
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
		Validate: validateRewards, OnAction: a.announceAction}, a.base, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: admin: %w", err)
	}
	h.Register(mux)
	return nil
}
