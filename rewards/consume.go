package rewards

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// consumeStream feeds every message of stream, through the durable
// consumer durable (created if missing, at most maxAck unacked), to handle
// on this goroutine until ctx ends; handle acks, naks or terminates. With
// a gate, it fetches only while the gate is open (a lease held). It
// waits for a stream that does not exist yet (its producer creates it) and
// starts over after an error.
func (s *Stage) consumeStream(ctx context.Context, stream, durable string, maxAck int, gate func() bool,
	handle func(context.Context, jetstream.Msg)) {
	waiting := false
	for ctx.Err() == nil {
		err := s.consumeLoop(ctx, stream, durable, maxAck, gate, handle)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, jetstream.ErrStreamNotFound):
			if !waiting { // the producer creates it; say so once
				s.log.Info("waiting for a stream", "stream", stream)
			}
			waiting = true
		case err != nil:
			s.log.Warn("consumer", "stream", stream, "durable", durable, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(s.opts.Poll):
		}
	}
}

func (s *Stage) consumeLoop(ctx context.Context, stream, durable string, maxAck int, gate func() bool,
	handle func(context.Context, jetstream.Msg)) error {
	cons, err := s.opts.JS.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 5 * time.Second,
		DeliverPolicy: jetstream.DeliverAllPolicy, MaxAckPending: maxAck,
	})
	if err != nil {
		return fmt.Errorf("rewards: %s consumer: %w", stream, err)
	}
	for ctx.Err() == nil {
		if gate != nil && !gate() {
			select {
			case <-ctx.Done():
			case <-time.After(s.opts.Poll / 4):
			}
			continue
		}
		batch, err := cons.FetchNoWait(100)
		if err != nil {
			return fmt.Errorf("rewards: fetch %s: %w", stream, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			handle(ctx, msg)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("rewards: fetch %s: %w", stream, err)
		}
		if n == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(s.opts.Poll / 4):
			}
		}
	}
	return nil
}
