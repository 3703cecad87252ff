package replay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/streams"
)

// pullRead reads EVENTS [from, last] in stream order, as a whole-stream
// aggregator.Lane with UpTo does, and hands every message to sink: one
// ephemeral pull consumer (no acks, in memory), its batches requested on
// core NATS into a channel subscription and taken off it on this goroutine.
// It skips what nats.go's consumer iterator does per message (a heartbeat
// timer reset, a select, a message wrapper, the reply parsed twice), about a
// tenth of a replay's CPU. Delivery is in stream order from one consumer on
// one connection; a message lost on the way (a gap in the consumer
// sequence) fails the read, it is never skipped.
func pullRead(ctx context.Context, js jetstream.JetStream, from, last uint64, sink *laneSink) error {
	if last < max(from, 1) {
		return nil
	}
	cfg := jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy, MemoryStorage: true, Replicas: 1, InactiveThreshold: 5 * time.Minute}
	if from > 1 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
	}
	cons, err := js.CreateConsumer(ctx, streams.Events, cfg)
	if err != nil {
		return fmt.Errorf("replay: consumer: %w", err)
	}
	name := cons.CachedInfo().Name
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = js.DeleteConsumer(dctx, streams.Events, name) // else it goes when inactive
	}()
	nc := js.Conn()
	inbox := nc.NewInbox() // not NewRespInbox: the request mux subscription would get every message too
	// Never more than 2 batches are requested and not yet received; the
	// rest of the room is for status messages (heartbeats, expiries).
	ch := make(chan *nats.Msg, 2*pullBatch+256)
	sub, err := nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return fmt.Errorf("replay: subscribe: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	p := &puller{nc: nc, inbox: inbox, next: apiPrefix(js.Options()) + "CONSUMER.MSG.NEXT." + streams.Events + "." + name, last: last, sink: sink}
	return p.run(ctx, ch)
}

const (
	pullBatch     = 4096
	pullHeartbeat = 5 * time.Second
	pullExpires   = 5 * time.Minute
)

// apiPrefix is the JetStream API subject prefix of js (as jetstream uses it).
func apiPrefix(o jetstream.JetStreamOptions) string {
	switch {
	case o.Domain != "":
		return "$JS." + o.Domain + ".API."
	case o.APIPrefix != "":
		return strings.TrimSuffix(o.APIPrefix, ".") + "."
	}
	return jetstream.DefaultAPIPrefix
}

// puller is one pullRead's state, used on its goroutine only.
type puller struct {
	nc          *nats.Conn
	inbox, next string
	last        uint64
	sink        *laneSink
	credit      int    // messages requested and not yet received
	cseq        uint64 // consumer sequence of the last message
	d           aggregator.Delivery
}

func (p *puller) run(ctx context.Context, ch <-chan *nats.Msg) error {
	tick := time.NewTicker(pullHeartbeat)
	defer tick.Stop()
	idle := 0 // heartbeat periods in a row in which nothing came
	for {
		for p.credit < pullBatch { // keep two batches asked for
			if err := p.request(); err != nil {
				return err
			}
		}
		var m *nats.Msg
		select {
		case m = <-ch:
		case <-tick.C:
			if idle++; idle > 2 {
				return errors.New("replay: events read: no message nor heartbeat from the server")
			}
			continue
		case <-ctx.Done():
			return nil
		}
		idle = 0
		// Take what is there without a select per message.
		for {
			done, err := p.handle(ctx, m)
			if done || err != nil {
				return err
			}
			if len(ch) == 0 || p.credit < pullBatch {
				break
			}
			m = <-ch
		}
	}
}

func (p *puller) request() error {
	req := `{"batch":` + strconv.Itoa(pullBatch) + `,"expires":` + strconv.FormatInt(int64(pullExpires), 10) +
		`,"idle_heartbeat":` + strconv.FormatInt(int64(pullHeartbeat), 10) + `}`
	if err := p.nc.PublishRequest(p.next, p.inbox, []byte(req)); err != nil {
		return fmt.Errorf("replay: pull request: %w", err)
	}
	p.credit += pullBatch
	return nil
}

// handle takes one message off the subscription: done once the message at
// or past last was delivered (or the sink stopped).
func (p *puller) handle(ctx context.Context, m *nats.Msg) (bool, error) {
	if m.Reply == "" { // a status: heartbeat, or a request that ended
		return false, p.status(m)
	}
	seq, cseq, ts, ok := aggregator.AckSeqs(m.Reply)
	if !ok {
		return false, fmt.Errorf("replay: events read: unexpected reply subject %q", m.Reply)
	}
	if cseq != p.cseq+1 {
		return false, fmt.Errorf("replay: events read: message %d of the consumer after %d: lost on the way", cseq, p.cseq)
	}
	p.cseq = cseq
	p.credit--
	if seq > p.last {
		return true, nil // nothing of the range was left
	}
	p.d = aggregator.Delivery{Seq: seq, Time: time.Unix(0, ts)}
	p.d.Partition, p.d.Provider, p.d.User, p.d.SubjectOK = streams.ParseEventSubject(m.Subject)
	if !p.sink.deliver(m.Subject, m.Data, &p.d) {
		return true, nil
	}
	return seq >= p.last, nil
}

// status handles a status message of a pull request.
func (p *puller) status(m *nats.Msg) error {
	code := m.Header.Get("Status")
	switch code {
	case "100": // idle heartbeat
		return nil
	case "408": // a request expired: what it did not deliver is no longer asked for
		n, err := strconv.Atoi(m.Header.Get("Nats-Pending-Messages"))
		if err != nil {
			return fmt.Errorf("replay: events read: %s %s without a pending count", code, m.Header.Get("Description"))
		}
		p.credit -= n
		return nil
	}
	// 409 (consumer deleted, leadership changed, a request refused), 404, …
	return fmt.Errorf("replay: events read: status %q %s", code, m.Header.Get("Description"))
}
