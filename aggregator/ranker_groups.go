package aggregator

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
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
	h := fnv.New32a()
	_, _ = h.Write([]byte(id.Contest))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(strconv.AppendInt(nil, id.Window, 10))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(id.Division))
	return int(h.Sum32() % uint32(n))
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
type BoardGroups struct {
	n      int
	leases []*Leader
}

// NewBoardGroups validates opts and prepares one lease per group.
func NewBoardGroups(opts BoardGroupsOptions, logger *slog.Logger) (*BoardGroups, error) {
	if opts.JS == nil || opts.Instance == "" {
		return nil, errors.New("aggregator: board groups need JS and Instance")
	}
	if opts.Groups <= 0 {
		opts.Groups = 1
	}
	g := &BoardGroups{n: opts.Groups}
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

// Decided reports whether every lease had its first round.
func (g *BoardGroups) Decided() bool {
	for _, l := range g.leases {
		if !l.Decided() {
			return false
		}
	}
	return true
}

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

// Run runs every lease until ctx ends, then gives them back.
func (g *BoardGroups) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(g.leases))
	for k, l := range g.leases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = l.Run(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
