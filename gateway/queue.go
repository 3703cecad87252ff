package gateway

import "sync"

// queue is one connection's outgoing messages: at most one per key (a live
// subject, or "error"), the latest state replacing an older one still
// waiting, in the order the keys first became pending. It never blocks the
// producer: a slow client loses intermediate states, never the latest.
//
// A connection waits on a handful of keys (a contest's top and the player's
// own subject, rarely more), so the queue and the live marks are short
// slices scanned in place: cheaper than maps on the fan-out path, where
// every top message is put on every subscriber's queue.
type queue struct {
	mu    sync.Mutex
	max   int
	items []queued
	live  []string      // keys that received a live message
	ready chan struct{} // signalled when items become non-empty (onReady nil)
	// urgent: an item waiting was put with putUrgent (cleared by take).
	urgent bool
	// onReady, when set, is called instead (outside the lock) when an item
	// is queued, with whether it was put urgent: the write pool's schedule.
	onReady func(urgent bool)
}

// queued is a waiting message.
type queued struct {
	key  string
	data []byte
}

func newQueue(max int) *queue {
	return &queue{max: max, ready: make(chan struct{}, 1)}
}

// putFlags say how a message is put.
type putFlags uint8

const (
	// putLive: a live message (else the snapshot read at subscribe time,
	// which never overrides a live message of the same key).
	putLive putFlags = 1 << iota
	// putUrgent: a message for this connection alone (the player's own
	// rank, a notice, the subscribe answer): the write pool serves the
	// connection before those that only wait for a top fan-out.
	putUrgent
)

// result of a put.
type putResult int

const (
	putQueued putResult = iota
	putReplaced
	putDropped // queue full of other keys
	putStale   // a snapshot older than a live message already seen
)

// put queues data under key.
func (q *queue) put(key string, data []byte, f putFlags) putResult {
	r := q.putLocked(key, data, f)
	if r == putQueued && q.onReady != nil {
		q.onReady(f&putUrgent != 0)
	}
	return r
}

// putLocked is put under the lock; with onReady set, a putQueued may have
// made the queue non-empty or urgent (onReady is cheap when it was not).
// A replaced item keeps its place, and the connection was scheduled when
// it was queued.
func (q *queue) putLocked(key string, data []byte, f putFlags) putResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	if f&putLive != 0 {
		if !q.isLive(key) {
			q.live = append(q.live, key)
		}
	} else if q.isLive(key) {
		return putStale
	}
	for i := range q.items {
		if q.items[i].key == key {
			q.items[i].data = data
			return putReplaced
		}
	}
	if len(q.items) >= q.max {
		return putDropped
	}
	q.items = append(q.items, queued{key: key, data: data})
	q.urgent = q.urgent || f&putUrgent != 0
	if len(q.items) == 1 && q.onReady == nil {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return putQueued
}

func (q *queue) isLive(key string) bool {
	for _, k := range q.live {
		if k == key {
			return true
		}
	}
	return false
}

// take removes and returns every waiting message in order.
func (q *queue) take(buf [][]byte) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.items {
		buf = append(buf, q.items[i].data)
		q.items[i] = queued{}
	}
	q.items = q.items[:0]
	q.urgent = false
	return buf
}

// pending reports whether messages wait, and whether one of them was put
// urgent.
func (q *queue) pending() (pending, urgent bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) > 0, q.urgent
}

// forget drops the live marks of keys (an unsubscribe), so a
// new subscription's snapshot is sent again.
func (q *queue) forget(keys ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range keys {
		for i := 0; i < len(q.live); i++ {
			if q.live[i] == k {
				q.live[i] = q.live[len(q.live)-1]
				q.live[len(q.live)-1] = ""
				q.live = q.live[:len(q.live)-1]
				i--
			}
		}
	}
}
