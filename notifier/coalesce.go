package notifier

import (
	"container/heap"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// update is the latest state of one board waiting to go out on a subject.
type update struct {
	board contest.BoardID
	rank  aggregator.Rank // rank subjects
	total int
	top   []TopRow // top subjects
	// watchedOnly is true when the user's own standing did not change.
	watchedOnly bool
	// since is the stream time of the oldest event the update carries
	// (zero: unknown), for rankstream_notifier_event_to_push_seconds.
	since time.Time
}

// slot is one subject's rate limit: at most one message per interval (per
// overtaken interval while every waiting update is a watched user's that
// others caused). While the subject waits, each board keeps only its latest
// update (a subject carries one board per window and division, nearly always
// just one).
type slot struct {
	subject string
	isTop   bool
	last    time.Time // when the last message went out
	pending []update
	due     time.Time
	idx     int // in the heap; -1 when not queued, inTops when in coalescer.tops
}

// inTops is slot.idx of a top slot taken off the heap that waits for the
// due rank subjects of the same flush.
const inTops = -2

// offer queues u on the slot, replacing the board's older update. It reports
// whether an older update was replaced (coalesced).
func (s *slot) offer(u update) bool {
	for i := range s.pending {
		if s.pending[i].board == u.board {
			if u.watchedOnly && !s.pending[i].watchedOnly {
				u.watchedOnly = false
			}
			if old := s.pending[i].since; !old.IsZero() && (u.since.IsZero() || old.Before(u.since)) {
				u.since = old
			}
			s.pending[i] = u
			return true
		}
	}
	s.pending = append(s.pending, u)
	return false
}

// slotHeap orders queued slots by due time.
type slotHeap []*slot

func (h slotHeap) Len() int           { return len(h) }
func (h slotHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h slotHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *slotHeap) Push(x any) {
	s := x.(*slot)
	s.idx = len(*h)
	*h = append(*h, s)
}
func (h *slotHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	s.idx = -1
	return s
}

// coalescer holds the slots of every subject and the queue of waiting ones.
// It is used by the notifier goroutine only.
type coalescer struct {
	interval  time.Duration // least gap between two messages of a subject
	overtaken time.Duration // gap before a message only others caused (≥ interval)
	slots     map[string]*slot
	queue     slotHeap
	// tops holds top slots taken off the queue by next while personal
	// subjects were still due: they go out after them (a top message is
	// fanned out to every subscriber; a player's own rank should not wait
	// behind that fan-out).
	tops []*slot
}

func newCoalescer(interval, overtaken time.Duration) *coalescer {
	return &coalescer{interval: interval, overtaken: max(overtaken, interval), slots: map[string]*slot{}}
}

// gap is how long after its last message s may send its waiting updates.
func (c *coalescer) gap(s *slot) time.Duration {
	for _, u := range s.pending {
		if !u.watchedOnly {
			return c.interval
		}
	}
	return c.overtaken
}

// add offers u on subject; the slot is queued, due when its interval since
// the last message has passed (at once for a quiet subject).
func (c *coalescer) add(subject string, isTop bool, u update, now time.Time) (coalesced bool) {
	s := c.slots[subject]
	if s == nil {
		s = &slot{subject: subject, isTop: isTop, idx: -1}
		c.slots[subject] = s
	}
	coalesced = s.offer(u)
	due := s.last.Add(c.gap(s))
	if due.Before(now) {
		due = now
	}
	switch {
	case s.idx == inTops: // due already; goes out in this flush
	case s.idx < 0:
		s.due = due
		heap.Push(&c.queue, s)
	case !due.Equal(s.due):
		s.due = due // an own change brings a waiting overtaken update forward
		heap.Fix(&c.queue, s.idx)
	}
	return coalesced
}

// pending reports whether subject holds an update for board.
func (c *coalescer) pending(subject string, board contest.BoardID) bool {
	s := c.slots[subject]
	if s == nil {
		return false
	}
	for _, u := range s.pending {
		if u.board == board {
			return true
		}
	}
	return false
}

// next pops a slot due at now, or nil: the due rank subjects first, then
// the due top subjects (each in due order). The order only changes within
// one flush; each subject's own spacing is untouched.
func (c *coalescer) next(now time.Time) *slot {
	for len(c.queue) > 0 && !c.queue[0].due.After(now) {
		s := heap.Pop(&c.queue).(*slot)
		if !s.isTop {
			return s
		}
		s.idx = inTops
		c.tops = append(c.tops, s)
	}
	if len(c.tops) == 0 {
		return nil
	}
	s := c.tops[0]
	copy(c.tops, c.tops[1:])
	c.tops[len(c.tops)-1] = nil
	c.tops = c.tops[:len(c.tops)-1]
	s.idx = -1
	return s
}

// sent records that s published at now; a slot with updates left is queued
// again one interval later.
func (c *coalescer) sent(s *slot, now time.Time) {
	s.last = now
	c.requeue(s)
}

// requeue queues s again when it still holds updates.
func (c *coalescer) requeue(s *slot) {
	if len(s.pending) == 0 || s.idx != -1 {
		return
	}
	s.due = s.last.Add(c.gap(s))
	heap.Push(&c.queue, s)
}

// nextDue is when the first queued slot is due (ok false when none is).
func (c *coalescer) nextDue() (time.Time, bool) {
	if len(c.tops) > 0 {
		return c.tops[0].due, true
	}
	if len(c.queue) == 0 {
		return time.Time{}, false
	}
	return c.queue[0].due, true
}

// sweep forgets idle slots whose interval has passed.
func (c *coalescer) sweep(now time.Time) {
	for subj, s := range c.slots {
		if s.idx == -1 && len(s.pending) == 0 && now.Sub(s.last) > c.overtaken {
			delete(c.slots, subj)
		}
	}
}

// mark records that subject carried a message at now outside the slot: sent
// by another notifier (the lease holder a standby follows: a takeover keeps
// the subject's rate from it), or published again after a reconnect.
func (c *coalescer) mark(subject string, isTop bool, now time.Time) {
	s := c.slots[subject]
	if s == nil {
		s = &slot{subject: subject, isTop: isTop, idx: -1}
		c.slots[subject] = s
	}
	if now.After(s.last) {
		s.last = now
	}
}

// drain hands every waiting update to fn and empties the queue.
func (c *coalescer) drain(fn func(s *slot, u update)) {
	for _, s := range c.slots {
		for _, u := range s.pending {
			fn(s, u)
		}
		s.pending = nil
		s.idx = -1
	}
	c.queue = c.queue[:0]
	c.tops = c.tops[:0]
}
