package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// Board groups shard the ranker's output over processes (docs/architecture.md,
// "Board groups"). A board belongs to group GroupOf(id, n): a stable hash of
// (contest, window, division), the same in every process and on every start.
// Each group is one lease ("ranker" when n is 1, "ranker-g<k>" otherwise) of
// the RANKSTREAM_LEASES bucket; the holder of a group's lease is the one
// process that writes that group's boards to the sinks (read model, live
// feed) and snapshots them. Every process keeps every board's tree up to
// date from SCORES, so when a holder dies its groups move as soon as their
// leases expire (LeaseTTL) and the new holder writes them in full at once.

// GroupOf is the board group of id among n (n < 2: group 0).
func GroupOf(id contest.BoardID, n int) int {
	if n < 2 {
		return 0
	}
	return int(boardHash(id) % uint32(n))
}

// GroupLeaseName is the lease name of group g among n.
func GroupLeaseName(g, n int) string {
	if n < 2 {
		return "ranker"
	}
	return "ranker-g" + strconv.Itoa(g)
}

// BoardGroupsOptions configure BoardGroups.
type BoardGroupsOptions struct {
	JS       jetstream.JetStream
	Instance string // this process, unique among the processes
	Groups   int    // number of board groups (default 1)
	TTL      time.Duration
	Replicas int
	Metrics  *Metrics
}

// BoardGroups are the leases of every board group, for one process.
//
// Balance: every process running a ranker refreshes a member key
// (ranker-member.<instance>, expiring with the lease TTL); the members,
// sorted, take the groups round robin (group k to member k mod m), and a
// process runs the leases of its own groups only. A process that joins
// takes its share as the others give theirs up (their lease released at
// once); the groups of a process that dies move when its member key and
// leases expire, within about TTL + TTL/5. The lease, not the assignment,
// decides who writes: two processes never hold one group at once.
type BoardGroups struct {
	n        int
	js       jetstream.JetStream
	instance string
	ttl      time.Duration
	replicas int
	log      *slog.Logger
	leases   []*Leader
	decided  atomic.Bool
}

// NewBoardGroups validates opts and prepares one lease per group.
func NewBoardGroups(opts BoardGroupsOptions, logger *slog.Logger) (*BoardGroups, error) {
	if opts.JS == nil || opts.Instance == "" {
		return nil, errors.New("aggregator: board groups need JS and Instance")
	}
	if opts.Groups <= 0 {
		opts.Groups = 1
	}
	if opts.TTL <= 0 {
		opts.TTL = 5 * time.Second
	}
	if logger == nil {
		logger = slog.Default()
	}
	g := &BoardGroups{n: opts.Groups, js: opts.JS, instance: opts.Instance, ttl: opts.TTL, replicas: opts.Replicas,
		log: logger.With("component", "board-groups")}
	for k := range opts.Groups {
		l, err := NewLeader(LeaderOptions{JS: opts.JS, Name: GroupLeaseName(k, opts.Groups), Instance: opts.Instance,
			TTL: opts.TTL, Replicas: opts.Replicas, Metrics: opts.Metrics}, logger)
		if err != nil {
			return nil, fmt.Errorf("aggregator: board group %d: %w", k, err)
		}
		g.leases = append(g.leases, l)
	}
	return g, nil
}

// N is the number of groups.
func (g *BoardGroups) N() int { return g.n }

// Of is the group of board id.
func (g *BoardGroups) Of(id contest.BoardID) int { return GroupOf(id, g.n) }

// Held reports whether this process holds group k's lease now.
func (g *BoardGroups) Held(k int) bool { return g.leases[k].Held() }

// Epoch counts the times this process gained group k's lease.
func (g *BoardGroups) Epoch(k int) uint64 { return g.leases[k].Epoch() }

// Owns reports whether this process writes board id now.
func (g *BoardGroups) Owns(id contest.BoardID) bool { return g.Held(g.Of(id)) }

// Decided reports whether the first assignment ran and each lease of it
// had its first round.
func (g *BoardGroups) Decided() bool { return g.decided.Load() }

// HeldGroups lists the groups held now.
func (g *BoardGroups) HeldGroups() []int {
	var out []int
	for k, l := range g.leases {
		if l.Held() {
			out = append(out, k)
		}
	}
	return out
}

const memberPrefix = "ranker-member."

// Run keeps this process's share of the groups until ctx ends, then gives
// the leases and its member key back.
func (g *BoardGroups) Run(ctx context.Context) error {
	kv, err := streams.EnsureLeases(ctx, g.js, g.ttl, g.replicas)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("aggregator: board groups: %w", err)
	}
	runs := make([]*leaseRun, g.n)
	defer func() {
		for _, r := range runs {
			r.stop()
		}
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = kv.Delete(dctx, memberPrefix+g.instance)
		cancel()
	}()
	t := time.NewTicker(g.ttl / 5)
	defer t.Stop()
	for {
		g.balance(ctx, kv, runs)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// balance refreshes the member key and runs the leases of this process's
// groups, stopping the others.
func (g *BoardGroups) balance(ctx context.Context, kv jetstream.KeyValue, runs []*leaseRun) {
	if _, err := kv.Put(ctx, memberPrefix+g.instance, []byte(g.instance)); err != nil {
		g.log.Warn("member key not refreshed", "err", err)
	}
	members, err := g.members(ctx, kv)
	if err != nil {
		g.log.Warn("members not read; keeping the groups as they are", "err", err)
		return
	}
	all := true
	for k := range g.n {
		mine := members[k%len(members)] == g.instance
		switch {
		case mine && (runs[k] == nil || runs[k].exited()):
			runs[k] = startLease(ctx, g.leases[k])
			all = false
		case !mine && runs[k] != nil:
			runs[k].stop()
			runs[k] = nil
			g.log.Info("board group handed over", "group", k, "members", len(members))
		case mine && !g.leases[k].Decided():
			all = false
		}
	}
	if all {
		g.decided.Store(true)
	}
}

// members are the live members, sorted; this process is always one.
func (g *BoardGroups) members(ctx context.Context, kv jetstream.KeyValue) ([]string, error) {
	out := []string{g.instance}
	kl, err := kv.ListKeysFiltered(ctx, memberPrefix+"*")
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, err
	}
	if err == nil {
		for k := range kl.Keys() {
			if m := strings.TrimPrefix(k, memberPrefix); m != g.instance {
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// leaseRun is one lease's Run goroutine.
type leaseRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startLease(ctx context.Context, l *Leader) *leaseRun {
	lctx, cancel := context.WithCancel(ctx)
	r := &leaseRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = l.Run(lctx) // errors are logged by the lease and retried next start
	}()
	return r
}

// exited reports whether the lease's Run returned by itself (an error).
func (r *leaseRun) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// stop ends the lease's Run (which gives the lease back) and waits for it.
func (r *leaseRun) stop() {
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
}
