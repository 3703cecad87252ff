package contest

import (
	"sort"
	"time"
)

// Freezes are decided on arrival time (the JetStream timestamp), like
// lateness: an operator's freeze, unfreeze or finalize takes effect for the
// events that arrive at or after its effective time, whenever the scorer gets
// to them. Replay, given the same records, therefore decides exactly as the
// live run did.

// freezeSet is an immutable view of every freeze record; writers copy it.
type freezeSet struct {
	marks  map[string][]freezeMark // contest → marks sorted by at
	closed map[closeKey]time.Time  // (contest, window) → closed from
}

type freezeMark struct {
	at     time.Time
	frozen bool
}

type closeKey struct {
	contest string
	window  int64
}

// Freeze records that contest id is frozen (or, with frozen false, thawed)
// for events arriving at or after at.
func (r *Registry) Freeze(id string, frozen bool, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.freeze.Load()
	n := old.clone()
	ms := append(append([]freezeMark(nil), old.marks[id]...), freezeMark{at: at, frozen: frozen})
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].at.Before(ms[j].at) })
	n.marks[id] = ms
	r.freeze.Store(n)
}

// CloseWindow closes window (its start in Unix seconds) of contest id for
// events arriving at or after at: they no longer count there (reason
// frozen). An earlier close of the same window wins.
func (r *Registry) CloseWindow(id string, window int64, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.freeze.Load()
	k := closeKey{contest: id, window: window}
	if prev, ok := old.closed[k]; ok && !at.Before(prev) {
		return
	}
	n := old.clone()
	n.closed[k] = at
	r.freeze.Store(n)
}

// ClosedAt returns when a window was closed by an operator, if it was.
func (r *Registry) ClosedAt(id string, window int64) (time.Time, bool) {
	t, ok := r.freeze.Load().closed[closeKey{contest: id, window: window}]
	return t, ok
}

// FrozenAt reports whether an event arriving at arrival is barred from
// window of contest id by a freeze or a finalize.
func (r *Registry) FrozenAt(id string, window int64, arrival time.Time) bool {
	fs := r.freeze.Load()
	if len(fs.closed) > 0 {
		if t, ok := fs.closed[closeKey{contest: id, window: window}]; ok && !arrival.Before(t) {
			return true
		}
	}
	ms := fs.marks[id]
	for i := len(ms) - 1; i >= 0; i-- {
		if !arrival.Before(ms[i].at) {
			return ms[i].frozen
		}
	}
	return false
}

func (fs *freezeSet) clone() *freezeSet {
	n := &freezeSet{marks: make(map[string][]freezeMark, len(fs.marks)+1), closed: make(map[closeKey]time.Time, len(fs.closed)+1)}
	for k, v := range fs.marks {
		n.marks[k] = v
	}
	for k, v := range fs.closed {
		n.closed[k] = v
	}
	return n
}
