package aggregator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/streams"
)

// The scorer's publishes (SCORES standings, mission rewards and progress,
// flag records) are core NATS messages whose reply subject is the inbox of
// the flush that publishes them (an ackRound); the stream answers each with
// one PubAck, an error or a no-responders status, and pubAcks counts the
// answers per round from one subscription of the scorer. This is what
// jetstream.PublishMsgAsync does without its per-message cost (a future with
// two channels, a map entry under the JetStream context's lock, a reply
// subject and a copy of the message, a JSON decode of every PubAck); the
// HTTP door publishes the same way (ingest/publish.go).
//
// A checkpoint round waits until every round since the previous one has
// all its answers, all of them PubAcks: a refusal, a missing answer (the
// round's wait times out) or a reconnect of the connection (answers of
// messages in flight are lost, as jetstream fails its futures then) fails
// the checkpoint round, and the worker republishes its standings, as with
// futures. Without checkpoints nobody waits for a round: it is dropped once
// it has all its answers or one failed.
//
// Back-pressure: with maxPubAcks answers outstanding (the JetStream
// context's default of async publishes in flight), a publish first waits
// until every answer is in (publishAsync).

// maxPubAcks is the number of outstanding answers at which a publish waits.
const maxPubAcks = 4000

// errAcksClosed fails the rounds still waiting when the scorer stops.
var errAcksClosed = errors.New("aggregator: scorer stopped before its publishes were acknowledged")

type pubAcks struct {
	nc *nats.Conn

	setup  sync.Mutex // the subscription, made at the first round
	ready  atomic.Bool
	sub    *nats.Subscription
	status chan nats.Status
	prefix string // reply subjects: prefix + round id

	next        atomic.Uint64
	outstanding atomic.Int64 // published, neither answered nor written off

	mu     sync.Mutex
	rounds map[uint64]*ackRound
	idle   chan struct{} // closed when outstanding is 0 (nil: nobody waits)
}

// ackRound is the publishes of one flush of one worker.
type ackRound struct {
	id    uint64
	reply string
	keep  bool // a checkpoint round waits for it: kept until released
	sent  int  // worker goroutine; read by others once sealed (under mu)
	// under pubAcks.mu
	answered       int
	sealed, closed bool
	err            error // the first refusal, or the reconnect
	done           chan struct{}
}

func newPubAcks(nc *nats.Conn) *pubAcks {
	return &pubAcks{nc: nc, rounds: map[uint64]*ackRound{}}
}

// start subscribes to the answers, once.
func (a *pubAcks) start() error {
	if a.ready.Load() {
		return nil
	}
	a.setup.Lock()
	defer a.setup.Unlock()
	if a.ready.Load() {
		return nil
	}
	prefix := a.nc.NewInbox() + "."
	a.prefix = prefix
	sub, err := a.nc.Subscribe(prefix+"*", a.answer)
	if err != nil {
		return fmt.Errorf("aggregator: subscribe to publish acks: %w", err)
	}
	// The answers come through one goroutine: no limit below maxPubAcks.
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("aggregator: publish acks: %w", err)
	}
	a.sub = sub
	a.status = a.nc.StatusChanged(nats.RECONNECTING, nats.CLOSED)
	go a.watch(a.status)
	a.ready.Store(true)
	return nil
}

// open starts a round (worker goroutine).
func (a *pubAcks) open(keep bool) (*ackRound, error) {
	if err := a.start(); err != nil {
		return nil, err
	}
	id := a.next.Add(1)
	r := &ackRound{id: id, reply: a.prefix + strconv.FormatUint(id, 10), keep: keep, done: make(chan struct{})}
	a.mu.Lock()
	a.rounds[id] = r
	a.mu.Unlock()
	return r, nil
}

// publish sends msg in round r (worker goroutine).
func (a *pubAcks) publish(r *ackRound, msg *nats.Msg) error {
	msg.Reply = r.reply
	r.sent++
	a.outstanding.Add(1)
	if err := a.nc.PublishMsg(msg); err != nil {
		r.sent--
		a.mu.Lock()
		a.settleLocked(1)
		a.mu.Unlock()
		return err
	}
	return nil
}

// seal ends r: no more publishes (worker goroutine).
func (a *pubAcks) seal(r *ackRound) {
	a.mu.Lock()
	r.sealed = true
	a.checkLocked(r)
	a.mu.Unlock()
}

// answer counts one answer (the subscription's goroutine).
func (a *pubAcks) answer(m *nats.Msg) {
	id, ok := ackNum(strings.TrimPrefix(m.Subject, a.prefix))
	if !ok {
		return
	}
	_, err := streams.PubAckResult(m)
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rounds[id]
	if r == nil {
		return // written off
	}
	r.answered++
	if err != nil && r.err == nil {
		r.err = err
	}
	a.settleLocked(1)
	a.checkLocked(r)
}

// settleLocked takes n answers off the outstanding ones.
func (a *pubAcks) settleLocked(n int) {
	if a.outstanding.Add(-int64(n)) == 0 && a.idle != nil {
		close(a.idle)
		a.idle = nil
	}
}

// checkLocked closes r's done once it is sealed and has every answer or a
// failed one; a round nobody waits for is then dropped.
func (a *pubAcks) checkLocked(r *ackRound) {
	if r.closed || !r.sealed || (r.answered < r.sent && r.err == nil) {
		return
	}
	r.closed = true
	close(r.done)
	if !r.keep {
		a.dropLocked(r)
	}
}

// dropLocked forgets r: its answers still missing are written off (and
// ignored if they come).
func (a *pubAcks) dropLocked(r *ackRound) {
	if a.rounds[r.id] != r {
		return
	}
	delete(a.rounds, r.id)
	if left := r.sent - r.answered; left > 0 {
		a.settleLocked(left)
	}
}

// release drops rounds once waited for (or no longer to be).
func (a *pubAcks) release(rounds []*ackRound) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range rounds {
		a.dropLocked(r)
	}
}

// wait waits until every one of rounds (sealed) has all its answers,
// PubAcks all; an error names the first failure, or the timeout.
func (a *pubAcks) wait(ctx context.Context, rounds []*ackRound, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for _, r := range rounds {
		select {
		case <-r.done:
		case <-t.C:
			return fmt.Errorf("aggregator: publish acks missing after %v", timeout)
		case <-ctx.Done():
			return fmt.Errorf("aggregator: waiting for publish acks: %w", ctx.Err())
		}
		a.mu.Lock()
		err := r.err
		a.mu.Unlock()
		if err != nil {
			return fmt.Errorf("aggregator: publish not acknowledged: %w", err)
		}
	}
	return nil
}

// waitIdle waits until no answer is outstanding (timeout ≤ 0: until ctx
// ends).
func (a *pubAcks) waitIdle(ctx context.Context, timeout time.Duration) error {
	a.mu.Lock()
	if a.outstanding.Load() == 0 {
		a.mu.Unlock()
		return nil
	}
	if a.idle == nil {
		a.idle = make(chan struct{})
	}
	idle := a.idle
	a.mu.Unlock()
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-idle:
		return nil
	case <-expire:
		return fmt.Errorf("aggregator: %d publish acks outstanding after %v", a.outstanding.Load(), timeout)
	case <-ctx.Done():
		return fmt.Errorf("aggregator: waiting for publish acks: %w", ctx.Err())
	}
}

// watch fails every round on a reconnect: the answers of what was in
// flight are lost.
func (a *pubAcks) watch(status chan nats.Status) {
	for range status {
		a.failAll(nats.ErrDisconnected)
	}
}

func (a *pubAcks) failAll(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.rounds {
		if r.err == nil {
			r.err = err
		}
		a.checkLocked(r)
	}
}

// close ends the subscription (the scorer has stopped); a round still
// waited for fails.
func (a *pubAcks) close() {
	a.setup.Lock()
	defer a.setup.Unlock()
	if !a.ready.Load() {
		return
	}
	_ = a.sub.Unsubscribe()
	a.nc.RemoveStatusListener(a.status)
	a.failAll(errAcksClosed)
	a.ready.Store(false)
}
