package aggregator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// scoresReader feeds the ranker from an ordered consumer of SCORES and
// replaces it when it fails or stalls (seen on a cluster losing the node
// that served the ordered consumer, which then stopped delivering without
// an error). A restarted reader may deliver what an old one already did:
// apply skips sequences it has. Ranker goroutine only.
type scoresReader struct {
	r        *Ranker
	msgs     chan jetstream.Msg
	errc     chan error
	cur      jetstream.MessagesContext
	lastP    uint64
	lastMove time.Time
}

func newScoresReader(r *Ranker) *scoresReader {
	return &scoresReader{r: r, msgs: make(chan jetstream.Msg, 8192), errc: make(chan error, 1), lastMove: time.Now()}
}

// read (re)starts the ordered consumer at from.
func (rd *scoresReader) read(ctx context.Context, from uint64) error {
	cfg := jetstream.OrderedConsumerConfig{}
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
	rd.cur = it
	go rd.pump(ctx, it)
	return nil
}

func (rd *scoresReader) pump(ctx context.Context, it jetstream.MessagesContext) {
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
		case rd.msgs <- msg:
		case <-ctx.Done():
			return
		}
	}
}

// stop stops the current reader, whichever it is then.
func (rd *scoresReader) stop() {
	if rd.cur != nil {
		rd.cur.Stop()
	}
}

// restart replaces the reader, from the first sequence not applied.
func (rd *scoresReader) restart(ctx context.Context, why string, err error) {
	r := rd.r
	r.log.Warn("SCORES reader restarted", "why", why, "from_seq", r.applied+1, "err", err)
	r.m.ReaderRestarts.Inc()
	rd.stop()
	for ctx.Err() == nil {
		err := rd.read(ctx, r.applied+1)
		if err == nil {
			return
		}
		r.log.Warn("SCORES reader restart failed, retrying", "err", err)
		time.Sleep(500 * time.Millisecond)
	}
}

// checkLag reports the lag and restarts a reader that made no progress for
// readerStall while the stream has more. Bounded: a request that went to a
// node being lost waits for the context's deadline, and the ranker has one
// loop.
func (rd *scoresReader) checkLag(ctx context.Context, stream jetstream.Stream) {
	r := rd.r
	ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
	info, err := stream.Info(ictx)
	cancel()
	if err != nil {
		return
	}
	p := r.processed.Load()
	lag := 0.0
	if info.State.LastSeq > p {
		lag = float64(info.State.LastSeq - p)
	}
	r.m.Lag.WithLabelValues("ranker").Set(lag)
	r.m.LagSeconds.WithLabelValues("ranker").Set(lagSeconds(lag, time.Unix(0, r.lastMsg.Load())))
	switch now := time.Now(); {
	case lag == 0 || p != rd.lastP:
		rd.lastP, rd.lastMove = p, now
	case now.Sub(rd.lastMove) > readerStall:
		rd.restart(ctx, "no progress", fmt.Errorf("%d messages behind for %s", int64(lag), now.Sub(rd.lastMove).Round(time.Second)))
		rd.lastMove = now
	}
}
