package admin

import (
	"context"
	"log/slog"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Follow keeps rules at the latest stored version of every contest, so that
// a version put through the admin API of one process is in force in every
// process on the same database within about every (default 2s). Each
// process's scorers then re-score the open windows they hold
// (aggregator/rescore.go); the result does not depend on when a process
// picks the version up. Blocks until ctx ends.
func (s *Store) Follow(ctx context.Context, rules *contest.Registry, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.followOnce(ctx, rules, log); err != nil && ctx.Err() == nil {
			log.Warn("contest versions not read; retrying", "err", err)
		}
	}
}

// followOnce puts in force every stored version newer than the one in force,
// and every contest created through the API that is not in force.
func (s *Store) followOnce(ctx context.Context, rules *contest.Registry, log *slog.Logger) error {
	latest, err := s.Latest(ctx)
	if err != nil {
		return err
	}
	var newer []*contest.Contest
	for id, v := range latest {
		cur := rules.Get(id)
		if (cur != nil && cur.Version >= v.Version) || (cur == nil && v.Source != SourceAPI) {
			continue
		}
		c, err := v.Parse()
		if err != nil {
			log.Error("stored version does not parse; not put in force", "contest", id, "version", v.Version, "err", err)
			continue
		}
		newer = append(newer, c)
	}
	if len(newer) == 0 {
		return nil
	}
	next := map[string]*contest.Contest{}
	for _, c := range rules.All() {
		next[c.ID] = c
	}
	for _, c := range newer {
		if cur := next[c.ID]; cur != nil && cur.Version >= c.Version {
			continue // put in force meanwhile (this process's admin API)
		}
		next[c.ID] = c
		log.Info("contest version put in force by another process", "contest", c.ID, "version", c.Version)
	}
	all := make([]*contest.Contest, 0, len(next))
	for _, c := range next {
		all = append(all, c)
	}
	rules.Set(all)
	return nil
}
