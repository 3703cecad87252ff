package aggregator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// AllPartitions makes a Lane read the whole EVENTS stream.
const AllPartitions = -1

// Lane is one ordered read of EVENTS, the one way every reader of the
// stream (the scorer in single and in shared mode, replay, simulate) reads
// it: an ordered consumer over the whole stream (Partition AllPartitions:
// every partition in stream order) or filtered on one partition, from a
// start sequence, telling its sink when it has caught up with what the
// stream held when the lane started.
//
// The shared-mode scorer reads one lane per partition it holds; the
// single-process scorer reads one whole-stream lane, as its Barrier (the
// exact snapshot) needs one position in the stream. Catch-up is CPU-bound
// either way: with the benchmark fixed to start every variant from the
// same checkpoints, neither reading is consistently faster (BENCHMARKS.md,
// crash recovery; the earlier 1.8× was an artifact of the benchmark).
type Lane struct {
	JS jetstream.JetStream
	// Partition to read, or AllPartitions.
	Partition int
	// From is the first EVENTS sequence to read (0 or 1: from the start).
	From uint64
	// UpTo, when set, bounds the lane: it reads up to min(UpTo, the last
	// sequence of its range at start) and returns. 0: it follows the
	// stream until ctx ends.
	UpTo uint64
	// Batch is the consumer's PullMaxMessages (default 1024).
	Batch int
}

// Delivery is one EVENTS message read by a Lane.
type Delivery struct {
	Msg  jetstream.Msg
	Seq  uint64    // stream sequence
	Time time.Time // stream timestamp (the arrival time)
	// Partition, Provider and User come from the subject (Partition: the
	// lane's own when it reads one; 0 when the subject does not parse).
	Partition      int
	Provider, User string
	SubjectOK      bool
}

// LaneSink receives a lane's messages, in order, on the lane's goroutine.
type LaneSink interface {
	// Deliver hands one message on; false stops the lane (ctx ended). d
	// is the lane's, valid only during the call.
	Deliver(ctx context.Context, d *Delivery) bool
	// CaughtUp is called once, after the last message the lane's range
	// held at start was delivered (before any message when it held none).
	CaughtUp()
}

// Run reads the lane until ctx ends (nil), the bound is reached (nil) or
// the stream cannot be read (an error).
func (l Lane) Run(ctx context.Context, sink LaneSink) error {
	last, err := l.lastAtStart(ctx)
	if err != nil {
		return err
	}
	if l.UpTo > 0 && l.UpTo < last {
		last = l.UpTo
	}
	caughtUp := last < max(l.From, 1)
	if caughtUp {
		sink.CaughtUp()
		if l.UpTo > 0 {
			return nil
		}
	}
	it, err := l.messages(ctx)
	if err != nil {
		return err
	}
	defer it.Stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { <-ctx.Done(); it.Stop() }()
	var d Delivery // one for the lane: sinks copy what they keep
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("aggregator: %s: next: %w", l, err)
		}
		var ok bool
		if d, ok = l.delivery(msg); !ok {
			continue
		}
		if l.UpTo > 0 && d.Seq > last {
			return nil // a bounded lane past its bound (nothing of its range was left)
		}
		if !sink.Deliver(ctx, &d) {
			return nil
		}
		if !caughtUp && d.Seq >= last {
			caughtUp = true
			sink.CaughtUp()
			if l.UpTo > 0 {
				return nil
			}
		}
	}
}

func (l Lane) String() string {
	if l.Partition == AllPartitions {
		return "events"
	}
	return fmt.Sprintf("partition %d", l.Partition)
}

// lastAtStart is the last sequence of the lane's range now (0: none).
func (l Lane) lastAtStart(ctx context.Context) (uint64, error) {
	st, err := l.JS.Stream(ctx, streams.Events)
	if err != nil {
		return 0, fmt.Errorf("aggregator: %s: events stream: %w", l, err)
	}
	if l.Partition == AllPartitions {
		last, err := streams.LastEventSeq(ctx, st) // not LastSeq: it may be a deleted message's
		if err != nil {
			return 0, fmt.Errorf("aggregator: %s: %w", l, err)
		}
		return last, nil
	}
	m, err := st.GetLastMsgForSubject(ctx, streams.PartitionFilter(l.Partition))
	switch {
	case err == nil:
		return m.Sequence, nil
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return 0, nil
	}
	return 0, fmt.Errorf("aggregator: %s: last message: %w", l, err)
}

func (l Lane) messages(ctx context.Context) (jetstream.MessagesContext, error) {
	var cfg jetstream.OrderedConsumerConfig
	if l.Partition != AllPartitions {
		cfg.FilterSubjects = []string{streams.PartitionFilter(l.Partition)}
	}
	if l.From > 1 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = l.From
	}
	cons, err := l.JS.OrderedConsumer(ctx, streams.Events, cfg)
	if err != nil {
		return nil, fmt.Errorf("aggregator: %s: consumer: %w", l, err)
	}
	batch := l.Batch
	if batch <= 0 {
		batch = 1024
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(batch))
	if err != nil {
		return nil, fmt.Errorf("aggregator: %s: messages: %w", l, err)
	}
	return it, nil
}

func (l Lane) delivery(msg jetstream.Msg) (Delivery, bool) {
	seq, ts, ok := ackSeqTime(msg.Reply())
	if !ok {
		return Delivery{}, false
	}
	d := Delivery{Msg: msg, Seq: seq, Time: time.Unix(0, ts)}
	d.Partition, d.Provider, d.User, d.SubjectOK = streams.ParseEventSubject(msg.Subject())
	if l.Partition != AllPartitions {
		d.Partition = l.Partition
	}
	return d, true
}
