package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/query"
	"github.com/rankstream/rankstream/rewards"
	"github.com/rankstream/rankstream/streams"
)

// loadMissions puts the missions (Options.Missions, else the files of
// Options.MissionsDir; a missing directory means none) into the rules.
func (a *App) loadMissions(opts Options) error {
	ms := opts.Missions
	if ms == nil && opts.MissionsDir != "" {
		var err error
		ms, err = contest.LoadMissionDir(opts.MissionsDir)
		if errors.Is(err, fs.ErrNotExist) && len(ms) == 0 {
			a.log.Info("no missions directory", "dir", opts.MissionsDir)
			err = nil
		}
		if err != nil {
			return fmt.Errorf("app: missions: %w", err)
		}
	}
	a.Rules.SetMissions(ms)
	return nil
}

// missionOptions serve the mission endpoints from the MISSION_PROGRESS
// bucket the scorers write.
func (a *App) missionOptions() query.MissionOptions {
	var (
		mu sync.Mutex
		kv jetstream.KeyValue
	)
	bucket := func(ctx context.Context) (jetstream.KeyValue, error) {
		mu.Lock()
		defer mu.Unlock()
		if kv != nil {
			return kv, nil
		}
		b, err := a.Streams.JS.KeyValue(ctx, streams.MissionProgressBucket)
		if err != nil {
			return nil, err
		}
		kv = b
		return kv, nil
	}
	mo := query.MissionOptions{
		Missions: a.Rules.Missions,
		Progress: func(ctx context.Context, mission string, window int64, user string) ([]byte, error) {
			b, err := bucket(ctx)
			if errors.Is(err, jetstream.ErrBucketNotFound) {
				return nil, query.ErrNoProgress // no scorer has published progress yet
			}
			if err != nil {
				return nil, fmt.Errorf("app: mission progress bucket: %w", err)
			}
			e, err := b.Get(ctx, streams.MissionProgressUserKey(user))
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil, query.ErrNoProgress
			}
			if err != nil {
				return nil, fmt.Errorf("app: mission progress: %w", err)
			}
			doc, ok, err := contest.UserProgressDoc(e.Value(), mission, time.Unix(window, 0))
			switch {
			case err != nil:
				return nil, fmt.Errorf("app: mission progress of %s: %w", user, err)
			case !ok:
				return nil, query.ErrNoProgress
			}
			return doc, nil
		},
	}
	if a.DB != nil {
		mo.Claims = rewards.NewStore(a.DB).MissionStatus
	}
	return mo
}
