package rewards

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// unsent locks up to limit unsent outbox rows (skipping those another
// relay holds) and builds their messages from the rewards they name.
func unsent(ctx context.Context, tx pgx.Tx, limit int) ([]outboxMsg, error) {
	rows, err := tx.Query(ctx, `SELECT o.id, o.jetstream, `+prefixed("r.", rewardColumns)+` FROM outbox o
		JOIN rewards r ON r.reward_id = o.reward_id
		WHERE o.sent_at IS NULL ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED`, limit)
	if err != nil {
		return nil, fmt.Errorf("rewards: outbox: %w", err)
	}
	defer rows.Close()
	var msgs []outboxMsg
	for rows.Next() {
		var m outboxMsg
		r, err := scanReward(rowPrefix{rows, []any{&m.id, &m.jetstream}})
		if err != nil {
			return nil, fmt.Errorf("rewards: outbox scan: %w", err)
		}
		m.rewardID = r.RewardID
		if m.jetstream {
			m.subject = PostingSubject(r.User)
			m.body, err = json.Marshal(r.Posting())
		} else {
			m.subject = NoticeSubject(r.ID, r.User)
			m.body, err = json.Marshal(r.notice())
		}
		if err != nil {
			return nil, fmt.Errorf("rewards: outbox body: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rewards: outbox: %w", err)
	}
	return msgs, nil
}

// rowPrefix scans the leading columns of a row into head, the rest into
// what Scan is given.
type rowPrefix struct {
	row  pgx.Row
	head []any
}

func (p rowPrefix) Scan(dest ...any) error { return p.row.Scan(append(p.head, dest...)...) }

// prefixed qualifies each of the comma-separated columns with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

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
		msgs, err := unsent(ctx, tx, limit)
		if err != nil {
			return err
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
