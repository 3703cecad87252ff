package replay

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
)

// read feeds the stream [first, last] to the engines: one pull consumer
// over the whole stream (pullRead; with Options.laneRead through the live
// scorer's reader, aggregator.Lane, as before), or with Options.PerPartition
// one lane per partition, all at once.
func read(ctx context.Context, opts Options, engines []*aggregator.Engine, info *jetstream.StreamInfo, last uint64, res *Result) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := newFeed(ctx, opts, engines, info.State.FirstSeq, last, res)
	lanes := []aggregator.Lane{{JS: opts.JS, Partition: aggregator.AllPartitions, From: f.first, UpTo: last, Batch: 4096}}
	if opts.PerPartition {
		n, err := strconv.Atoi(info.Config.Metadata["rankstream_partitions"])
		if err != nil || n <= 0 {
			return fmt.Errorf("replay: per partition: EVENTS names no partition count (%q)", info.Config.Metadata["rankstream_partitions"])
		}
		lanes = lanes[:0]
		for p := 0; p < n; p++ {
			lanes = append(lanes, aggregator.Lane{JS: opts.JS, Partition: p, From: f.first, UpTo: last, Batch: 1024})
		}
	}
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, l := range lanes {
		sink := f.sink(l.Partition == aggregator.AllPartitions)
		wg.Go(func() {
			if l.Partition == aggregator.AllPartitions && !opts.laneRead {
				errs[i] = pullRead(ctx, opts.JS, l.From, l.UpTo, sink)
			} else {
				errs[i] = l.Run(ctx, sink)
			}
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	err := f.close()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("replay: %w", ctx.Err())
	}
	return err
}

// feed hands batches of events to the engines, one goroutine per engine
// applying them; each lane puts its messages in through its own sink.
type feed struct {
	ctx         context.Context
	opts        Options
	first, last uint64
	chans       []chan []fedEvent
	free        chan []fedEvent // batches applied, for the sinks to fill again
	wg          sync.WaitGroup
	mu          sync.Mutex // res, Keep, Progress
	res         *Result
	sinks       []*laneSink
}

func newFeed(ctx context.Context, opts Options, engines []*aggregator.Engine, first, last uint64, res *Result) *feed {
	f := &feed{ctx: ctx, opts: opts, first: first, last: last, res: res, chans: make([]chan []fedEvent, len(engines)),
		free: make(chan []fedEvent, 64*len(engines))}
	for i, e := range engines {
		f.chans[i] = make(chan []fedEvent, 64)
		f.wg.Add(1)
		go func(in <-chan []fedEvent) {
			defer f.wg.Done()
			for batch := range in {
				for j := range batch {
					batch[j].apply(e)
				}
				clear(batch) // drop the messages' data
				select {
				case f.free <- batch[:0]:
				default:
				}
			}
		}(f.chans[i])
	}
	return f
}

// fedEvent is a message in a batch, with what its lane parsed of the
// subject (parsed: a whole-stream lane's, whose Delivery holds exactly
// streams.ParseEventSubject's result; Engine.ApplyParsed then skips
// parsing it again).
type fedEvent struct {
	se             aggregator.StoredEvent
	provider, user string
	partition      int
	parsed, ok     bool
}

func (fe *fedEvent) apply(e *aggregator.Engine) {
	if fe.parsed {
		e.ApplyParsed(fe.se, fe.partition, fe.provider, fe.user, fe.ok)
		return
	}
	e.Apply(fe.se)
}

// sink returns a new lane's sink (before the lanes run); wholeStream: the
// lane reads every partition (its deliveries' partitions are the subjects').
func (f *feed) sink(wholeStream bool) *laneSink {
	ls := &laneSink{f: f, wholeStream: wholeStream, pending: make([][]fedEvent, len(f.chans))}
	f.sinks = append(f.sinks, ls)
	return ls
}

// close hands on what every sink holds and waits until the engines applied it.
func (f *feed) close() error {
	var err error
	for _, ls := range f.sinks {
		for i := range ls.pending {
			if err == nil && !ls.flush(i) {
				err = fmt.Errorf("replay: %w", f.ctx.Err())
			}
		}
	}
	for _, c := range f.chans {
		close(c)
	}
	f.wg.Wait()
	return err
}

// laneSink is one lane's aggregator.LaneSink: it batches each message to
// the engine of its partition.
type laneSink struct {
	f           *feed
	wholeStream bool
	pending     [][]fedEvent
}

func (ls *laneSink) Deliver(_ context.Context, d *aggregator.Delivery) bool {
	return ls.deliver(d.Msg.Subject(), d.Msg.Data(), d)
}

// deliver is Deliver of a message with this subject and data (d.Msg unused).
func (ls *laneSink) deliver(subject string, data []byte, d *aggregator.Delivery) bool {
	f := ls.f
	// Straight into the batch: Keep gets a pointer into it, so that the
	// event is never a heap object of its own (a local whose address is
	// passed to Keep would be, on every message).
	w := d.Partition % len(f.chans)
	ls.pending[w] = append(ls.pending[w], fedEvent{se: aggregator.StoredEvent{Subject: subject, Data: data, Seq: d.Seq, Time: d.Time},
		provider: d.Provider, user: d.User, partition: d.Partition, parsed: ls.wholeStream, ok: d.SubjectOK})
	f.mu.Lock()
	f.res.Events++
	f.res.LastSeq = max(f.res.LastSeq, d.Seq)
	if f.opts.Keep != nil && !f.opts.Keep(&ls.pending[w][len(ls.pending[w])-1].se) {
		n := len(ls.pending[w]) - 1
		ls.pending[w][n] = fedEvent{} // drop the message's data
		ls.pending[w] = ls.pending[w][:n]
	}
	if f.opts.Progress != nil && (d.Seq%4096 == 0 || d.Seq == f.last) {
		f.opts.Progress(f.res.LastSeq, f.first, f.last)
	}
	f.mu.Unlock()
	if len(ls.pending[w]) >= batchSize && !ls.flush(w) {
		return false
	}
	return true
}

func (ls *laneSink) CaughtUp() {}

func (ls *laneSink) flush(i int) bool {
	if len(ls.pending[i]) == 0 {
		return true
	}
	select {
	case ls.f.chans[i] <- ls.pending[i]:
		select {
		case ls.pending[i] = <-ls.f.free:
		default:
			ls.pending[i] = make([]fedEvent, 0, batchSize)
		}
		return true
	case <-ls.f.ctx.Done():
		return false
	}
}
