package app

import (
	"errors"
	"fmt"
	"strings"
)

// ErrStages is returned by New for a --only set that cannot work: a stage
// that needs another one in the same process, or a store it has not got.
var ErrStages = errors.New("app: impossible stage set")

// The notifier is fed by the RANKS stream and runs anywhere. The
// snapshotter copies the boards of this process's ranker, or, alone, keeps
// its own and asks shared scorers for cuts through NATS: alone it needs
// aggregator.instance (scorers in single mode cannot be cut from outside).

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
	if set[StageSnapshotter] && !set[StageAggregator] && opts.Instance == "" {
		errs = append(errs, "snapshotter needs aggregator in the same process, or aggregator.instance set "+
			"(alone it asks the shared scorers of the other processes for cuts)")
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
