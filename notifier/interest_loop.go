package notifier

import (
	"context"
	"sync"
	"time"

	"github.com/rankstream/rankstream/streams"
)

func fillWatchDefaults(o *Options) {
	if o.WatchTTL == 0 {
		o.WatchTTL = streams.DefaultWatchTTL
	}
	if o.MaxWatchWrites == 0 {
		o.MaxWatchWrites = DefaultMaxWatchWrites
	}
	if o.MaxWatched == 0 {
		o.MaxWatched = DefaultMaxWatched
	}
}

// initWatch sets up the watch set's bound, the shared bucket and the
// source metric (called by New).
func (n *Notifier) initWatch() {
	n.watch.max = n.opts.MaxWatched
	if n.opts.WatchKV != nil {
		n.share = newWatchKV(n.opts.WatchKV, n.opts.Instance, n.opts.WatchTTL, n.opts.MaxWatchWrites, n.log, n.m, n.opts.Now)
	}
	src := "none"
	if n.opts.Interest != nil {
		src = n.opts.Interest.Name()
	}
	n.m.InterestSource.WithLabelValues(src).Set(1)
}

// startWatch runs the interest poll and the watch bucket's follower until
// ctx ends or the returned stop is called (which waits for them).
func (n *Notifier) startWatch(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if n.opts.Interest != nil || n.share != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.interestLoop(ctx) }()
	}
	if n.share != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.share.watch(ctx) }()
	}
	return func() { cancel(); wg.Wait() }
}

// interestLoop polls the interest source and syncs the watch bucket every
// InterestEvery.
func (n *Notifier) interestLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.InterestEvery)
	defer t.Stop()
	for {
		n.pollInterest(ctx)
		n.syncShared(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pollInterest replaces the NATS interest with one poll's; a failed poll
// keeps the previous interest.
func (n *Notifier) pollInterest(ctx context.Context) {
	src := n.opts.Interest
	if src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.InterestEvery)
	defer cancel()
	p, err := src.Poll(ctx)
	if err != nil {
		if ctx.Err() == nil || ctx.Err() == context.DeadlineExceeded {
			n.m.InterestPolls.WithLabelValues(src.Name(), "error").Inc()
			n.log.Warn("interest poll failed; keeping the previous interest", "source", src.Name(), "err", err)
		}
		return
	}
	n.m.InterestPolls.WithLabelValues(src.Name(), "ok").Inc()
	n.m.InterestSubs.Set(float64(len(p.Interest)))
	n.m.InterestTruncated.Set(float64(p.Truncated))
	n.watch.setNATS(p.Interest)
}

// syncShared writes this process's interest to the watch bucket and takes
// every process's from it.
func (n *Notifier) syncShared(ctx context.Context) {
	if n.share == nil {
		return
	}
	n.share.sync(ctx, n.watch.local())
	live := n.share.live()
	n.m.WatchedShared.Set(float64(len(live)))
	n.watch.setShared(live)
}
