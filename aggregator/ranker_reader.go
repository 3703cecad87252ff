package aggregator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// scoresReader feeds the ranker from an ordered consumer of SCORES,
// filtered on the subjects of the groups the process holds
// (ranker_filter.go), and replaces it when the filter changes, it fails or
// it stalls (seen on a cluster losing the node that served the ordered
// consumer, which then stopped delivering without an error). A restarted
// reader may deliver what an old one already did: apply skips sequences a
// board group has. Ranker goroutine only.
type scoresReader struct {
	r    *Ranker
	msgs chan readMsg
	errc chan error
	cons jetstream.Consumer
	cur  jetstream.MessagesContext
	// gen numbers the consumers; messages of an older one still buffered
	// are applied but say nothing of the current one's progress.
	gen uint64
	// pos is the highest stream sequence the current consumer delivered and
	// consSeq its consumer sequence; caught: it delivered all it had.
	pos, consSeq uint64
	caught       bool
	lastP        uint64
	lastMove     time.Time
}

// readMsg is a message and the reader generation it came from.
type readMsg struct {
	msg jetstream.Msg
	gen uint64
}

func newScoresReader(r *Ranker) *scoresReader {
	return &scoresReader{r: r, msgs: make(chan readMsg, 8192), errc: make(chan error, 1), lastMove: time.Now()}
}

// read (re)starts the ordered consumer at from with the ranker's filter.
func (rd *scoresReader) read(ctx context.Context, from uint64) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: rd.r.scoresFilter()}
	if from > 1 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = from
	}
	cons, err := rd.r.opts.JS.OrderedConsumer(ctx, streams.Scores, cfg)
	if err != nil {
		return fmt.Errorf("aggregator: ranker: consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return fmt.Errorf("aggregator: ranker: messages: %w", err)
	}
	rd.gen++
	rd.cons, rd.cur = cons, it
	rd.pos, rd.consSeq, rd.caught = from-1, 0, false
	if ci := cons.CachedInfo(); ci != nil && ci.NumPending == 0 {
		rd.caught = true
	}
	go rd.pump(ctx, it, rd.gen)
	return nil
}

func (rd *scoresReader) pump(ctx context.Context, it jetstream.MessagesContext, gen uint64) {
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				select {
				case rd.errc <- err:
				default:
				}
			}
			return
		}
		select {
		case rd.msgs <- readMsg{msg: msg, gen: gen}:
		case <-ctx.Done():
			return
		}
	}
}

// delivered records the progress of the current consumer after msg.
func (rd *scoresReader) delivered(rm readMsg, f ackFields) {
	if rm.gen != rd.gen {
		return
	}
	rd.pos, rd.consSeq = max(rd.pos, f.seq), f.consSeq
	if f.pending == 0 {
		rd.caught = true
	}
}

// stop stops the current reader, whichever it is then.
func (rd *scoresReader) stop() {
	if rd.cur != nil {
		rd.cur.Stop()
	}
}

// restart replaces the reader, from the first sequence not delivered (or
// from, when not zero: a group gained is read from the start).
func (rd *scoresReader) restart(ctx context.Context, why string, from uint64, err error) {
	r := rd.r
	if from == 0 {
		from = rd.pos + 1
	}
	if err != nil {
		r.log.Warn("SCORES reader restarted", "why", why, "from_seq", from, "err", err)
		r.m.ReaderRestarts.Inc()
	}
	rd.stop()
	for ctx.Err() == nil {
		err := rd.read(ctx, from)
		if err == nil {
			return
		}
		r.log.Warn("SCORES reader restart failed, retrying", "err", err)
		time.Sleep(500 * time.Millisecond)
	}
}

// checkLag reports the lag, moves Processed past the messages the filter
// leaves out, and restarts a reader that made no progress for readerStall
// while its consumer has more. Bounded: a request that went to a node being
// lost waits for the context's deadline, and the ranker has one loop.
func (rd *scoresReader) checkLag(ctx context.Context, stream jetstream.Stream) {
	r := rd.r
	ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info, err := stream.Info(ictx)
	if err != nil {
		return
	}
	ci, err := rd.cons.Info(ictx)
	if err != nil {
		return
	}
	pending := ci.NumPending + uint64(len(rd.msgs))
	if rd.caught && pending == 0 && (ci.Delivered.Consumer == rd.consSeq || ci.Delivered.Stream <= rd.pos) {
		// Everything of the filter up to LastSeq (read before) is applied.
		r.advance(info.State.LastSeq)
	}
	r.m.Lag.WithLabelValues("ranker").Set(float64(pending))
	r.m.LagSeconds.WithLabelValues("ranker").Set(lagSeconds(float64(pending), time.Unix(0, r.lastMsg.Load())))
	switch now := time.Now(); {
	case pending == 0 || rd.pos != rd.lastP:
		rd.lastP, rd.lastMove = rd.pos, now
	case now.Sub(rd.lastMove) > readerStall:
		rd.restart(ctx, "no progress", 0, fmt.Errorf("%d messages behind for %s", pending, now.Sub(rd.lastMove).Round(time.Second)))
		rd.lastMove = now
	}
}
