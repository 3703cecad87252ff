package app

import (
	"fmt"
	"net/http"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/rewards"
)

// StageRewards computes payouts of final boards, grants, relays postings
// to the wallet and serves claims (CONTRACT.md §7). It works from Postgres
// and NATS alone, so it runs in any process (--only rewards), several at
// once.
const StageRewards = "rewards"

// newRewards prepares the rewards stage and mounts the rewards API on mux
// (with the api stage or the rewards stage).
func (a *App) newRewards(mux *http.ServeMux) error {
	if !a.stages[StageRewards] && !a.stages[StageAPI] {
		return nil
	}
	if a.DB == nil { // an explicit --only rewards without it was refused (parseStages)
		a.log.Warn("no postgres url: no rewards, ledger or claims (rewards blocks are not paid)")
		return nil
	}
	lease, err := a.flagsLease()
	if err != nil {
		return err
	}
	st, err := rewards.New(rewards.Options{Pool: a.DB, NC: a.Streams.NC, JS: a.Streams.JS, Contests: a.Rules.All,
		MissionsStream: a.opts.MissionsStream, FlagsLeader: lease}, a.base, a.opts.Registry)
	if err != nil {
		return fmt.Errorf("app: rewards: %w", err)
	}
	if a.stages[StageRewards] {
		a.Rewards = st
		a.goStage("rewards", st.Run)
		for _, c := range a.Rules.All() {
			if err := validateRewards(c); err != nil {
				a.log.Error("contest rewards block invalid: boards finalized with this version cannot be paid",
					"contest", c.ID, "err", err)
			}
		}
	}
	api, err := rewards.NewAPI(rewards.APIOptions{Store: st.Store, Tokens: a.Live.Tokens, AdminToken: a.opts.AdminToken,
		Metrics: st.Metrics(), Contest: a.Rules.Get}, a.base)
	if err != nil {
		return fmt.Errorf("app: rewards api: %w", err)
	}
	api.Register(mux)
	return nil
}

// validateRewards refuses a contest version whose rewards block is invalid
// (admin PUT), with file:line errors.
func validateRewards(c *contest.Contest) error {
	_, err := rewards.ParseRules(c)
	return err
}

// flagsLease is the lease of the abuse flags consumer when processes share
// the work (Options.Instance), else nil (docs/flags.md).
func (a *App) flagsLease() (*aggregator.Leader, error) {
	if a.opts.Instance == "" || !a.stages[StageRewards] {
		return nil, nil
	}
	ljs, err := a.leaseJS()
	if err != nil {
		return nil, err
	}
	l, err := aggregator.NewLeader(aggregator.LeaderOptions{JS: ljs, Name: "flags", Instance: a.instanceName(),
		TTL: a.opts.LeaseTTL, Replicas: a.Streams.Opts.Replicas, Metrics: a.roleMetrics()}, a.base)
	if err != nil {
		return nil, fmt.Errorf("app: flags lease: %w", err)
	}
	return l, nil
}
