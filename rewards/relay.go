package rewards

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// outboxMsg is one queued message.
type outboxMsg struct {
	id        int64
	rewardID  string
	subject   string
	jetstream bool
	body      []byte
}

// Relay publishes up to limit unsent outbox messages and marks them sent,
// in one transaction that holds their rows (other relays skip them). Wallet
// postings go to JetStream with Nats-Msg-Id = reward_id and count as sent
// once acknowledged; a crash before the mark makes the next relay send them
// again, and the stream's duplicate window drops the copy. Notices go to
// core NATS. It returns how many it sent.
func (s *Store) Relay(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, limit int) (int, error) {
	sent := 0
	var pubErr error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, reward_id, subject, jetstream, body FROM outbox
			WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return fmt.Errorf("rewards: outbox: %w", err)
		}
		var msgs []outboxMsg
		for rows.Next() {
			var m outboxMsg
			if err := rows.Scan(&m.id, &m.rewardID, &m.subject, &m.jetstream, &m.body); err != nil {
				rows.Close()
				return fmt.Errorf("rewards: outbox scan: %w", err)
			}
			msgs = append(msgs, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("rewards: outbox: %w", err)
		}
		ids, err := publish(ctx, nc, js, msgs)
		pubErr = err
		if len(ids) > 0 {
			if _, uerr := tx.Exec(ctx, `UPDATE outbox SET sent_at = $2 WHERE id IN (SELECT unnest($1::bigint[]))`, ids, s.now()); uerr != nil {
				return fmt.Errorf("rewards: mark sent: %w", uerr)
			}
		}
		sent = len(ids)
		return nil
	})
	if err == nil {
		err = pubErr
	}
	return sent, err
}

// publish sends msgs (JetStream ones asynchronously, then waits for every
// ack) and returns the ids of those sent; on an error, those sent before it.
func publish(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, msgs []outboxMsg) ([]int64, error) {
	type pending struct {
		id  int64
		ack jetstream.PubAckFuture
	}
	var (
		ids  []int64
		acks []pending
	)
	for _, m := range msgs {
		if !m.jetstream {
			if err := nc.Publish(m.subject, m.body); err != nil {
				return ids, fmt.Errorf("rewards: notice %s: %w", m.subject, err)
			}
			ids = append(ids, m.id)
			continue
		}
		msg := &nats.Msg{Subject: m.subject, Data: m.body, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, m.rewardID)
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			return ids, fmt.Errorf("rewards: posting %s: %w", m.rewardID, err)
		}
		acks = append(acks, pending{m.id, f})
	}
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	var firstErr error
	for _, p := range acks {
		select {
		case <-p.ack.Ok():
			ids = append(ids, p.id)
		case err := <-p.ack.Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("rewards: posting ack: %w", err)
			}
		case <-timeout.C:
			return ids, fmt.Errorf("rewards: posting acks: timed out")
		case <-ctx.Done():
			return ids, ctx.Err()
		}
	}
	if nc != nil {
		if err := nc.FlushTimeout(5 * time.Second); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("rewards: flush notices: %w", err)
		}
	}
	return ids, firstErr
}
