package aggregator

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/streams"
)

// missionRelease drops the first layout's MISSION_PROGRESS keys
// (<mission>.<window>.<user>, streams.MissionProgressKey) of mission windows
// whose users' state the engine freed (retention.finished_windows past the
// window's end + lateness, missions_prune.go): without it every recurring
// mission window would leave one key per user in the bucket for ever. The
// per-user values of the current layout are republished without the freed
// window by the worker itself (scorer_missions.go).
// Every partition frees a window on its own stream time; the first one
// purges the window's keys, later ones within forgetAfter are ignored (a
// purge is idempotent, so a repeat after that costs one request).
type missionRelease struct {
	js       jetstream.JetStream
	log      *slog.Logger
	released prometheus.Counter
	failed   prometheus.Counter

	mu   sync.Mutex
	seen map[string]time.Time // mission.window → when asked
	jobs chan string          // subject filters to purge
}

const (
	missionReleaseForget  = time.Hour
	missionReleaseTimeout = 10 * time.Second
)

func newMissionRelease(js jetstream.JetStream, log *slog.Logger, m *MissionMetrics) *missionRelease {
	return &missionRelease{js: js, log: log, released: m.Released, failed: m.ReleaseErrors,
		seen: map[string]time.Time{}, jobs: make(chan string, 1024)}
}

// freed is PruneOptions.OnMissionFreed: it queues the window's purge
// without blocking the goroutine applying events.
func (r *missionRelease) freed(mission string, window int64) {
	key := streams.MissionProgressKey(mission, window, "")
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.seen[key]; ok && now.Sub(at) < missionReleaseForget {
		return
	}
	for k, at := range r.seen {
		if now.Sub(at) >= missionReleaseForget {
			delete(r.seen, k)
		}
	}
	select {
	case r.jobs <- streams.MissionProgressSubject(key + ">"):
		r.seen[key] = now
	default: // full: a later prune of another partition asks again
	}
}

// run purges the queued windows until ctx ends.
func (r *missionRelease) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case filter := <-r.jobs:
			r.purge(ctx, filter)
		}
	}
}

func (r *missionRelease) purge(ctx context.Context, filter string) {
	ctx, cancel := context.WithTimeout(ctx, missionReleaseTimeout)
	defer cancel()
	st, err := r.js.Stream(ctx, "KV_"+streams.MissionProgressBucket)
	if err == nil {
		err = st.Purge(ctx, jetstream.WithPurgeSubject(filter))
	}
	if err != nil {
		r.failed.Inc()
		r.log.Warn("mission window progress not released (a later prune asks again)", "filter", filter, "err", err)
		r.mu.Lock()
		for k := range r.seen {
			if streams.MissionProgressSubject(k+">") == filter {
				delete(r.seen, k)
			}
		}
		r.mu.Unlock()
		return
	}
	r.released.Inc()
	r.log.Debug("mission window progress released", "filter", filter)
}
