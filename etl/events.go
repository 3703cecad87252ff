package etl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/streams"
)

// eventLoad is the state of the EVENTS → events + accruals load.
type eventLoad struct {
	eng            *aggregator.Engine
	evMark, acMark uint64 // highest stream_seq in events / accruals
	ev, ac         *block
	evData         *eventColumns
	acData         *accrualColumns
	evLast, acLast uint64    // highest seq in the pending blocks
	oldest         time.Time // arrival of the oldest pending message
	pendingSince   time.Time // wall clock when the pending blocks got their first row
	lastArrival    time.Time // arrival of the last message read
	caughtUp       bool      // the last message read had nothing after it
	inflight       chan error
	onDone         func()
	inflightOldest time.Time // arrival of the oldest message of the flush in flight
}

// loadEvents reads EVENTS from its first message with an ordered consumer,
// through a private Engine (so accruals decide exactly as the scorer did),
// and inserts the messages above each table's position.
func (e *ETL) loadEvents(ctx context.Context) error {
	l := &eventLoad{eng: aggregator.NewEngine(e.opts.Rules, e.opts.MaxFutureSkew)}
	l.eng.RecordAccruals(true)
	var err error
	if l.evMark, err = e.retryMark(ctx, "events", "SELECT max(stream_seq) FROM events"); err != nil {
		return err
	}
	if l.acMark, err = e.retryMark(ctx, "accruals", "SELECT max(stream_seq) FROM accruals"); err != nil {
		return err
	}
	e.m.LoadedSeq.Set(float64(l.evMark))
	e.log.Info("events load starts", "events_mark", l.evMark, "accruals_mark", l.acMark)
	l.reset()
	cons, err := e.opts.JS.OrderedConsumer(ctx, streams.Events, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	defer it.Stop()
	defer func() { _ = l.wait() }()
	go e.lagTicker(ctx)
	for ctx.Err() == nil {
		tctx, cancel := context.WithTimeout(ctx, e.opts.FlushInterval)
		msg, err := it.Next(jetstream.NextContext(tctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				e.warnOnce("events read", "err", err)
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("messages: %w", err)
			}
			l.caughtUp = true // nothing arrived for FlushInterval
			if err := e.flushEvents(ctx, l); err != nil {
				return err
			}
			if err := l.wait(); err != nil {
				return err
			}
			e.setLag(l)
			continue
		}
		if err := e.take(ctx, l, msg); err != nil {
			return err
		}
	}
	return nil
}

// take applies one message and flushes a full batch.
func (e *ETL) take(ctx context.Context, l *eventLoad, msg jetstream.Msg) error {
	md, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	se := aggregator.StoredEvent{Subject: msg.Subject(), Data: msg.Data(), Seq: md.Sequence.Stream, Time: md.Timestamp}
	d := l.eng.Apply(se)
	l.lastArrival, l.caughtUp = se.Time, md.NumPending == 0
	pending := false
	ev := d.Event
	if ev == nil {
		ev = &event.Event{}
	}
	if se.Seq > l.evMark {
		l.evData.add(&se, &d, ev)
		l.evLast, pending = se.Seq, true
	}
	if se.Seq > l.acMark && len(d.Details) > 0 {
		l.acData.add(&se, &d, ev)
		l.acLast, pending = se.Seq, true
	}
	if pending && l.oldest.IsZero() {
		l.oldest, l.pendingSince = se.Time, time.Now()
	}
	e.setLag(l)
	if e.due(l) {
		return e.flushEvents(ctx, l)
	}
	return nil
}

// due reports whether the pending blocks should go now: full, or waited
// FlushInterval with nothing more to read, or waited 4×FlushInterval.
// While catching up, blocks fill to BatchRows (fewer, larger inserts).
func (e *ETL) due(l *eventLoad) bool {
	if l.ev.len() >= e.opts.BatchRows || l.ac.len() >= 4*e.opts.BatchRows {
		return true
	}
	if l.ev.len()+l.ac.len() == 0 {
		return false
	}
	waited := time.Since(l.pendingSince)
	return (l.caughtUp && waited >= e.opts.FlushInterval) || waited >= 4*e.opts.FlushInterval
}

// flushEvents hands the pending blocks to the inserter and starts new
// ones: reading goes on while they are sent. One flush is in flight at a
// time, so the blocks land in stream order. The events and the accruals
// block go in parallel: each table resumes from its own position, so a
// kill between the two repeats and loses nothing.
func (e *ETL) flushEvents(ctx context.Context, l *eventLoad) error {
	if err := l.wait(); err != nil {
		return err
	}
	if l.ev.len()+l.ac.len() == 0 {
		return nil
	}
	ev, ac, evLast, acLast := l.ev, l.ac, l.evLast, l.acLast
	done := make(chan error, 1)
	l.inflight = done
	l.onDone = func() {
		if ev.len() > 0 {
			l.evMark = evLast
			e.m.LoadedSeq.Set(float64(evLast))
		}
		if ac.len() > 0 {
			l.acMark = acLast
		}
	}
	go func() {
		acErr := make(chan error, 1)
		go func() { acErr <- e.insert(ctx, ac, e.landed("SELECT max(stream_seq) FROM accruals", acLast)) }()
		err := e.insert(ctx, ev, e.landed("SELECT max(stream_seq) FROM events", evLast))
		if aerr := <-acErr; err == nil {
			err = aerr
		}
		done <- err
	}()
	l.reset()
	return nil
}

// wait waits for the flush in flight, if any.
func (l *eventLoad) wait() error {
	if l.inflight == nil {
		return nil
	}
	err := <-l.inflight
	l.inflight = nil
	if err == nil {
		l.onDone()
		l.inflightOldest = time.Time{}
	}
	return err
}

func (l *eventLoad) reset() {
	if l.inflight != nil && l.inflightOldest.IsZero() {
		l.inflightOldest = l.oldest
	}
	l.evData, l.acData = &eventColumns{}, &accrualColumns{}
	l.ev = &block{table: "events", cols: eventCols, data: l.evData}
	l.ac = &block{table: "accruals", cols: accrualCols, data: l.acData}
	l.oldest = time.Time{}
}

// setLag records the arrival time of the oldest message not loaded yet
// (zero: caught up) and sets the gauge from it; lagTicker keeps the gauge
// growing while the reader is blocked (ClickHouse down).
func (e *ETL) setLag(l *eventLoad) {
	var since time.Time
	switch {
	case !l.inflightOldest.IsZero():
		since = l.inflightOldest
	case !l.oldest.IsZero():
		since = l.oldest
	case !l.caughtUp && !l.lastArrival.IsZero():
		since = l.lastArrival
	}
	if since.IsZero() {
		e.lagSince.Store(0)
		e.m.Lag.Set(0)
		return
	}
	e.lagSince.Store(since.UnixNano())
	e.m.Lag.Set(time.Since(since).Seconds())
}

func (e *ETL) lagTicker(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ns := e.lagSince.Load(); ns != 0 {
				e.m.Lag.Set(time.Since(time.Unix(0, ns)).Seconds())
			}
		}
	}
}

// landed reports whether the table's position (query) reached last.
func (e *ETL) landed(query string, last uint64) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		v, err := e.mark(ctx, query)
		return v >= last, err
	}
}

func (e *ETL) mark(ctx context.Context, query string) (uint64, error) {
	qctx, cancel := context.WithTimeout(ctx, e.opts.InsertTimeout)
	defer cancel()
	var v uint64
	if err := e.conn.QueryRow(qctx, query).Scan(&v); err != nil {
		return 0, fmt.Errorf("etl: %s: %w", query, err)
	}
	return v, nil
}

// retryMark reads a position, waiting out ClickHouse errors.
func (e *ETL) retryMark(ctx context.Context, table, query string) (uint64, error) {
	bo := newBackoff()
	for {
		v, err := e.mark(ctx, query)
		if err == nil {
			return v, nil
		}
		e.m.ClickHouseUp.Set(0)
		e.m.Retries.WithLabelValues(table).Inc()
		e.warnOnce("clickhouse position read failed; retrying", "table", table, "err", err)
		if !bo.wait(ctx) {
			return 0, ctx.Err()
		}
	}
}
