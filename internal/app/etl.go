package app

import (
	"fmt"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/etl"
)

// StageETL loads events, accruals, snapshots and rewards into ClickHouse
// (CONTRACT.md §9). Several processes may run it: with Options.Instance set
// they share an "etl" lease and one loads at a time.
const StageETL = "etl"

// newETL prepares the etl stage when it is selected and a ClickHouse URL is set.
func (a *App) newETL() error {
	if !a.stages[StageETL] {
		return nil
	}
	if a.opts.ClickHouseURL == "" {
		a.log.Warn("no clickhouse url: etl not started")
		return nil
	}
	var lease *aggregator.Leader
	if instance := a.instanceName(); instance != "" {
		ljs, err := a.leaseJS()
		if err != nil {
			return err
		}
		lease, err = aggregator.NewLeader(aggregator.LeaderOptions{JS: ljs, Name: "etl", Instance: instance,
			TTL: a.opts.LeaseTTL, Replicas: a.Streams.Opts.Replicas, Metrics: a.roleMetrics()}, a.base)
		if err != nil {
			return fmt.Errorf("app: etl lease: %w", err)
		}
	}
	e, err := etl.New(etl.Options{URL: a.opts.ClickHouseURL, JS: a.Streams.JS, Rules: a.Rules, DB: a.DB,
		MaxFutureSkew: a.opts.MaxFutureSkew, Leader: lease}, a.base, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: etl: %w", err)
	}
	a.ETL, a.etlLease = e, lease
	if lease != nil {
		a.goStage("etl lease", lease.Run)
	}
	a.goStage("etl", e.Run)
	return nil
}

// ETLLeaseHeld reports whether this process holds the etl lease (false
// without one).
func (a *App) ETLLeaseHeld() bool { return a.etlLease != nil && a.etlLease.Held() }
