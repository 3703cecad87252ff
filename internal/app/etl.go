package app

import (
	"context"
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
	if a.opts.Instance != "" {
		instance := a.opts.Instance
		if instance == "auto" {
			instance = autoInstance()
		}
		var err error
		lease, err = aggregator.NewLeader(aggregator.LeaderOptions{JS: a.Streams.JS, Name: "etl", Instance: instance,
			TTL: a.opts.LeaseTTL, Replicas: a.Streams.Opts.Replicas, Metrics: aggregator.NewMetrics(nil)}, a.log)
		if err != nil {
			return fmt.Errorf("app: etl lease: %w", err)
		}
	}
	e, err := etl.New(etl.Options{URL: a.opts.ClickHouseURL, JS: a.Streams.JS, Rules: a.Rules, DB: a.DB,
		MaxFutureSkew: a.opts.MaxFutureSkew, Leader: lease}, a.log, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: etl: %w", err)
	}
	a.ETL, a.etlLease = e, lease
	return nil
}

// startETL runs the etl stage (and its lease) when prepared.
func (a *App) startETL(ctx context.Context) {
	if a.ETL == nil {
		return
	}
	if a.etlLease != nil {
		a.goRun(func() error { return a.etlLease.Run(ctx) })
	}
	a.goRun(func() error { return a.ETL.Run(ctx) })
}

// ETLLeaseHeld reports whether this process holds the etl lease (false
// without one).
func (a *App) ETLLeaseHeld() bool { return a.etlLease != nil && a.etlLease.Held() }
