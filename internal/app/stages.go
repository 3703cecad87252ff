package app

import (
	"errors"
	"fmt"
	"strings"
)

// ErrStages is returned by New for a --only set that cannot work: a stage
// that needs another one in the same process, or a store it has not got.
var ErrStages = errors.New("app: impossible stage set")

// stageNeeds lists, for a stage, the stages it needs in the same process
// and why (they are fed by in-process callbacks of the ranker).
var stageNeeds = map[string][]string{
	StageNotifier:    {StageAggregator},
	StageSnapshotter: {StageAggregator},
}

// parseStages turns --only into a set. With no list every stage runs (a
// stage whose store is not configured then stays off); a list given
// explicitly must be a set that works on its own.
func parseStages(only []string, opts Options) (map[string]bool, error) {
	explicit := len(only) > 0
	if !explicit {
		only = AllStages
	}
	set := map[string]bool{}
	for _, s := range only {
		s = strings.TrimSpace(s)
		if !contains(AllStages, s) {
			return nil, fmt.Errorf("app: unknown stage %q (have %s)", s, strings.Join(AllStages, ","))
		}
		set[s] = true
	}
	if !explicit {
		return set, nil
	}
	var errs []string
	for _, s := range AllStages {
		if !set[s] {
			continue
		}
		for _, need := range stageNeeds[s] {
			if !set[need] {
				errs = append(errs, fmt.Sprintf("%s needs %s in the same process (it is fed by the ranker's ticks)", s, need))
			}
		}
	}
	if set[StageRewards] && opts.PostgresURL == "" {
		errs = append(errs, "rewards needs postgres.url (the ledger and the final snapshots)")
	}
	if set[StageSnapshotter] && opts.PostgresURL == "" {
		errs = append(errs, "snapshotter needs postgres.url (snapshots are written there)")
	}
	if set[StageETL] && (opts.ClickHouseURL == "" || opts.PostgresURL == "") {
		errs = append(errs, "etl needs clickhouse.url and postgres.url (it loads snapshots and rewards too)")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: --only %s: %s", ErrStages, strings.Join(only, ","), strings.Join(errs, "; "))
	}
	return set, nil
}
