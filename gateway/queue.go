package gateway

import "sync"

// queue is one connection's outgoing messages: at most one per key (a live
// subject, or "error"), the latest state replacing an older one still
// waiting, in the order the keys first became pending. It never blocks the
// producer: a slow client loses intermediate states, never the latest.
type queue struct {
	mu    sync.Mutex
	max   int
	items map[string][]byte
	order []string
	live  map[string]bool // keys that received a live message
	ready chan struct{}   // signalled when items become non-empty
}

func newQueue(max int) *queue {
	return &queue{max: max, items: map[string][]byte{}, live: map[string]bool{}, ready: make(chan struct{}, 1)}
}

// result of a put.
type putResult int

const (
	putQueued putResult = iota
	putReplaced
	putDropped // queue full of other keys
	putStale   // a snapshot older than a live message already seen
)

// put queues data under key. live is false for the snapshot read at
// subscribe time, which never overrides a live message of the same key.
func (q *queue) put(key string, data []byte, live bool) putResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	if live {
		q.live[key] = true
	} else if q.live[key] {
		return putStale
	}
	if _, ok := q.items[key]; ok {
		q.items[key] = data
		return putReplaced
	}
	if len(q.items) >= q.max {
		return putDropped
	}
	q.items[key] = data
	q.order = append(q.order, key)
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return putQueued
}

// take removes and returns every waiting message in order.
func (q *queue) take(buf [][]byte) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range q.order {
		buf = append(buf, q.items[k])
		delete(q.items, k)
	}
	q.order = q.order[:0]
	return buf
}

// forget drops the live marks of keys (an unsubscribe), so a
// new subscription's snapshot is sent again.
func (q *queue) forget(keys ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range keys {
		delete(q.live, k)
	}
}
