package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// The live-rank feed: the ranker publishes each tick's board deltas (top K,
// the ranks of changed and watched users, no sort keys) to the RANKS
// stream, one or more messages per board on ranks.<group>, in the binary
// form of ranks_feed_codec.go; notifiers in any process follow it
// (RanksFollower) and push from it. In one process the same
// path runs through the embedded server.
const (
	RanksStream  = "RANKS"
	ranksSubject = "ranks."
	// RanksMaxAge bounds what the feed keeps: a notifier follows it live
	// and never reads old ticks.
	ranksMaxAge = 2 * time.Minute
	// feedChunk is the most changed users one message carries.
	feedChunk = 1000
	// ranksPullExpiry is the follower's pull expiry; its heartbeat is half
	// of it, and two missed heartbeats re-create the ordered consumer. The
	// default (30 s, heartbeat 5 s) left a notifier lease holder whose
	// consumer delivered nothing deaf for 10 s or more under load (an
	// OS-process push test run with no delta at the holder at all).
	ranksPullExpiry = 2 * time.Second
)

// EnsureRanksStream creates the RANKS stream when missing (an existing one
// is left as it is, so its replicas are never lowered).
func EnsureRanksStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	if replicas <= 0 {
		replicas = 1
	}
	// retried while a forming cluster has no meta leader or placement yet
	err := streams.RetryTransient(ctx, func(ctx context.Context) error {
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: RanksStream,
			Description: "ranker ticks for the notifiers: top K and ranks per board", Subjects: []string{ranksSubject + ">"},
			Storage: jetstream.MemoryStorage, Retention: jetstream.LimitsPolicy, MaxAge: ranksMaxAge, MaxBytes: 256 << 20,
			Discard: jetstream.DiscardOld, Replicas: replicas})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("aggregator: ensure %s: %w", RanksStream, err)
	}
	return nil
}

// RanksFeed is the sink that publishes the ranker's ticks to RANKS
// (ranker_sink.go). Write returns once JetStream acknowledged every
// message of the batch.
type RanksFeed struct {
	js     jetstream.JetStream
	groups int
}

// NewRanksFeed publishes on js; groups is the ranker's number of board groups.
func NewRanksFeed(js jetstream.JetStream, groups int) *RanksFeed {
	return &RanksFeed{js: js, groups: groups}
}

// Name is "feed".
func (f *RanksFeed) Name() string { return "feed" }

// WantsRanks: the feed carries the top and the ranks.
func (f *RanksFeed) WantsRanks() bool { return true }

// Write publishes the batch's boards and waits for the acks.
func (f *RanksFeed) Write(ctx context.Context, batch *Batch) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("aggregator: feed: %w", err)
	}
	var acks []jetstream.PubAckFuture
	for i := range batch.Boards {
		subj := ranksSubject + strconv.Itoa(GroupOf(batch.Boards[i].ID, f.groups))
		msgs := feedMessages(&batch.Boards[i])
		for j := range msgs {
			// A buffer of its own per message: PublishAsync may still hold
			// it (a reconnect buffer) after it returns.
			m := &msgs[j]
			data := appendFeedMsg(make([]byte, 0, 64+48*(len(m.Top)+len(m.Ranks))+64*len(m.Changed)), m)
			a, err := f.js.PublishAsync(subj, data)
			if err != nil {
				return fmt.Errorf("aggregator: feed: publish: %w", err)
			}
			acks = append(acks, a)
		}
	}
	for _, a := range acks {
		select {
		case <-a.Ok():
		case err := <-a.Err():
			return fmt.Errorf("aggregator: feed: publish: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("aggregator: feed: %w", ctx.Err())
		}
	}
	return nil
}

// feedMessages splits a delta into messages of at most feedChunk changed
// users, each with the top and the ranks of its users; the ranks of watched
// users that did not change fill the last message up to feedChunk ranks and
// then messages of their own, so no message grows with the watched set. A
// Full board carries no changes.
func feedMessages(d *BoardDelta) []BoardDelta {
	base := BoardDelta{ID: d.ID, Full: d.Full, Top: d.Top, Total: d.Total, EventTime: d.EventTime, Order: d.Order}
	var out []BoardDelta
	inChunk := map[string]bool{}
	for from := 0; from < len(d.Changed) || from == 0; from += feedChunk {
		m := base
		m.Changed = d.Changed[from:min(from+feedChunk, len(d.Changed))]
		m.Ranks = map[string]Rank{}
		for _, u := range m.Changed {
			inChunk[u.User] = true
			if rk, ok := d.Ranks[u.User]; ok {
				m.Ranks[u.User] = rk
			}
		}
		out = append(out, m)
	}
	for u, rk := range d.Ranks {
		if inChunk[u] {
			continue
		}
		if len(out[len(out)-1].Ranks) >= feedChunk {
			m := base
			m.Ranks = map[string]Rank{}
			out = append(out, m)
		}
		out[len(out)-1].Ranks[u] = rk
	}
	return out
}

// RanksFollower reads the RANKS stream from the moment it is made (the
// notifier's feed).
type RanksFollower struct {
	it  jetstream.MessagesContext
	log *slog.Logger
}

// NewRanksFollower creates the stream when missing and starts reading the
// deltas published from now on.
func NewRanksFollower(ctx context.Context, js jetstream.JetStream, replicas int, logger *slog.Logger) (*RanksFollower, error) {
	if err := EnsureRanksStream(ctx, js, replicas); err != nil {
		return nil, err
	}
	cons, err := js.OrderedConsumer(ctx, RanksStream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, fmt.Errorf("aggregator: follow ranks: %w", err)
	}
	it, err := cons.Messages(jetstream.PullExpiry(ranksPullExpiry))
	if err != nil {
		return nil, fmt.Errorf("aggregator: follow ranks: %w", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &RanksFollower{it: it, log: logger.With("component", "ranks-feed")}, nil
}

// Run hands every board delta to fn, in order, until ctx ends (or Stop).
func (f *RanksFollower) Run(ctx context.Context, fn func([]BoardDelta)) error {
	stop := context.AfterFunc(ctx, f.it.Stop)
	defer stop()
	for {
		msg, err := f.it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("aggregator: follow ranks: %w", err)
		}
		d, err := decodeFeedMsg(msg.Data())
		if err != nil {
			f.log.Warn("bad ranks message", "subject", msg.Subject(), "err", err)
			continue
		}
		fn([]BoardDelta{d})
	}
}

// Stop stops reading; Run returns.
func (f *RanksFollower) Stop() { f.it.Stop() }
