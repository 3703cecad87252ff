package notifier

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
)

// A publish on core NATS succeeds once the message is in the client's
// buffer. While the client reconnects it buffers (and sends on reconnect);
// but what it wrote into a connection that was already failing (a silent
// break, a server that went away) is lost without an error. So an active
// notifier keeps the last message of each subject it published since the
// last round trip to the server (unconfirmed), and every ConfirmEvery it
// makes one (Confirmer.FlushTimeout): a round trip that returns, with no
// reconnect since the last one, confirms everything published before it
// started; one that returns after a reconnect means what was written before
// it may have died in the old connection, so those messages are published
// again (the same bytes: a subscriber that had them gets a repeat of its
// current state).

// Confirmer is how an active notifier learns that its messages reached the
// server; *nats.Conn is one.
type Confirmer interface {
	FlushTimeout(timeout time.Duration) error
	Stats() nats.Statistics
}

// DefaultConfirmEvery is the default of Options.ConfirmEvery.
const DefaultConfirmEvery = time.Second

// unconfirmedKey is a subject of one board (a subject carries one board per
// window and division).
type unconfirmedKey struct {
	subject string
	board   contest.BoardID
}

// unconfirmed is a published message no round trip has confirmed yet.
type unconfirmed struct {
	data  []byte
	isTop bool
	at    time.Time
}

// confirmRound is the result of one round trip.
type confirmRound struct {
	start      time.Time
	ok         bool
	reconnects uint64
}

// remember records a published message until a round trip confirms it.
func (n *Notifier) remember(subject string, board contest.BoardID, isTop bool, data []byte) {
	if n.opts.Confirmer == nil {
		return
	}
	n.unconf[unconfirmedKey{subject: subject, board: board}] = unconfirmed{data: data, isTop: isTop, at: n.opts.Now()}
	n.unconfN.Store(int64(len(n.unconf)))
}

// confirmLoop makes a round trip every ConfirmEvery while messages wait
// for one, and hands the result to the Run goroutine.
func (n *Notifier) confirmLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.ConfirmEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.stop:
			return
		case <-t.C:
		}
		if n.unconfN.Load() == 0 {
			continue
		}
		r := confirmRound{start: n.opts.Now()}
		r.ok = n.opts.Confirmer.FlushTimeout(max(n.opts.ConfirmEvery, time.Second)) == nil
		r.reconnects = n.opts.Confirmer.Stats().Reconnects
		select {
		case n.confirms <- r:
		case <-ctx.Done():
			return
		case <-n.stop:
			return
		}
	}
}

// confirmed applies a round trip's result (on the Run goroutine).
func (n *Notifier) confirmed(r confirmRound) {
	if !r.ok || !n.live {
		return
	}
	if r.reconnects == n.reconnects {
		for k, m := range n.unconf {
			if m.at.Before(r.start) {
				delete(n.unconf, k)
			}
		}
		n.unconfN.Store(int64(len(n.unconf)))
		return
	}
	if n.resend(r.start) {
		n.reconnects = r.reconnects // else: again at the next round
	}
}

// resend publishes again what was published before start and reports
// whether every publish succeeded.
func (n *Notifier) resend(start time.Time) bool {
	now := n.opts.Now()
	all := true
	for k, m := range n.unconf {
		if !m.at.Before(start) {
			continue
		}
		if err := n.opts.Publisher.Publish(k.subject, m.data); err != nil {
			n.m.PublishErrors.Inc()
			all = false
			continue
		}
		m.at = now
		n.unconf[k] = m
		n.co.mark(k.subject, m.isTop, now)
		n.m.Resent.Inc()
	}
	n.log.Info("NATS reconnected: published again what the old connection may have lost", "subjects", len(n.unconf))
	return all
}

// forgetUnconfirmed drops the unconfirmed messages (on becoming a standby:
// the new holder sends whatever it did not hear).
func (n *Notifier) forgetUnconfirmed() {
	clear(n.unconf)
	n.unconfN.Store(0)
}
