package app

import (
	"context"
	"fmt"
	"time"

	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/rewards"
	"github.com/rankstream/rankstream/streams"
)

// noticeOptions turn on the notifier's notices (docs/live-push.md
// "Notices"): contests from the registry, prize zones from the rewards
// rules, the sent-notice records in the RANKSTREAM_NOTICES bucket.
func (a *App) noticeOptions() (notifier.NoticeOptions, error) {
	// longer than streams' retry window (30 s): a cluster that is still
	// electing leaders at start answers the first requests late
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	kv, err := streams.EnsureNotices(ctx, a.Streams.JS, 0, a.Streams.Opts.Replicas)
	if err != nil {
		return notifier.NoticeOptions{}, fmt.Errorf("app: notices: %w", err)
	}
	return notifier.NoticeOptions{Contest: a.Rules.Get, PrizeZone: rewards.ContestZone, KV: kv, JS: a.Streams.JS}, nil
}
