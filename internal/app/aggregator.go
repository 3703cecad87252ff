package app

import (
	"context"
	"fmt"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/readmodel"
)

// buildAggregator prepares the scorers and the ranker. The ranker's sinks
// are the Redis read model and the RANKS feed the notifiers follow,
// wherever they run; with Options.Instance its output is sharded by board
// group (Options.BoardGroups leases).
func (a *App) buildAggregator(ctx context.Context) error {
	if !a.stages[StageAggregator] {
		return nil
	}
	opts, st := a.opts, a.Streams
	m := a.roleMetrics()
	var err error
	groups := 1 // the rankers' board groups, in the SCORES subjects
	if a.instanceName() != "" && opts.BoardGroups > 1 {
		groups = opts.BoardGroups
	}
	a.Scorer, err = aggregator.NewScorer(aggregator.ScorerOptions{JS: st.JS, Rules: a.Rules,
		Partitions: st.Opts.Partitions, MaxFutureSkew: opts.MaxFutureSkew, Metrics: m, Replicas: st.Opts.Replicas,
		Instance: a.instanceName(), LeaseTTL: opts.LeaseTTL, FinishedWindows: opts.FinishedWindows, BoardGroups: groups,
		CatchupGCPercent: opts.CatchupGCPercent, CatchupMemoryLimit: opts.CatchupMemoryLimit}, a.base)
	if err != nil {
		return fmt.Errorf("app: scorer: %w", err)
	}
	if a.instanceName() != "" {
		ljs, err := a.leaseJS()
		if err != nil {
			return err
		}
		a.Groups, err = aggregator.NewBoardGroups(aggregator.BoardGroupsOptions{JS: ljs, Instance: a.instanceName(),
			Groups: opts.BoardGroups, TTL: opts.LeaseTTL, Replicas: st.Opts.Replicas, Metrics: m}, a.base)
		if err != nil {
			return fmt.Errorf("app: board groups: %w", err)
		}
	}
	if err := aggregator.EnsureRanksStream(ctx, st.JS, st.Opts.Replicas); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	sinks := []aggregator.Sink{
		readmodel.NewRankerSink(readmodel.NewWriter(a.Redis, opts.RedisPrefix, a.base, opts.Registry)),
		aggregator.NewRanksFeed(st.JS, groups),
	}
	ro := aggregator.RankerOptions{JS: st.JS, Rules: a.Rules, Sinks: sinks, Tick: opts.RankerTick, Metrics: m,
		TopK: notifier.DeltaTopK, Groups: a.Groups, FinishedWindows: opts.FinishedWindows}
	if a.Live != nil && a.Live.Notifier != nil {
		ro.Watched = a.Live.Notifier.Watched
		ro.WatchedEvery = notifier.WatchedEvery
	}
	if a.Ranker, err = aggregator.NewRanker(ro, a.base); err != nil {
		return fmt.Errorf("app: ranker: %w", err)
	}
	a.goStage("scorer", a.Scorer.Run)
	a.goStage("ranker", a.Ranker.Run)
	if a.Groups != nil {
		a.goStage("board groups", a.Groups.Run)
	}
	return nil
}

// instanceName is Options.Instance, "auto" made up once per process.
func (a *App) instanceName() string {
	if a.instance == "" && a.opts.Instance != "" {
		a.instance = a.opts.Instance
		if a.instance == "auto" {
			a.instance = autoInstance()
		}
	}
	return a.instance
}
