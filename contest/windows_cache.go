package contest

import (
	"sort"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// windowCache remembers, per hour of event time, the windows of a contest
// that can contain an instant of that hour, so that WindowsAt does not run
// cron's Next on every event (it was ≈ 20 % of scoring an event). It is
// safe for concurrent use: entries are immutable and swapped atomically; two
// goroutines that miss at once both compute the same entry.
type windowCache struct {
	slots [cacheSlots]atomic.Pointer[hourWindows]
	fixed atomic.Pointer[[1]Window]
}

const (
	// hours remembered (by hour number modulo this): over five days, so
	// that a catch-up whose event times spread over a long max_event_delay
	// still hits (1 KB of pointers a contest)
	cacheSlots  = 128
	cacheHour   = time.Hour // span of one entry
	cacheMaxWin = 256       // an hour with more candidate windows is not cached
)

// hourWindows holds, for the hour starting at hour, every recurring window
// with start in (hour − d, hour + 1h): each window containing an instant of
// the hour, in start order. A window's start is its cron fire time.
type hourWindows struct {
	hour int64 // unix nanoseconds of the hour's start
	spec *cron.SpecSchedule
	d    time.Duration
	wins []Window // nil with tooMany
	// tooMany: the hour has more than cacheMaxWin candidates; computed
	// directly every time.
	tooMany bool
}

func newWindowCache() *windowCache { return &windowCache{} }

// fixedAt returns the fixed window as a shared one-element slice (callers
// only read it), or nil when ts is outside it.
func (wc *windowCache) fixedAt(fw *FixedWindow, ts time.Time) []Window {
	w := Window{Start: fw.Start, End: fw.End}
	if !w.Contains(ts) {
		return nil
	}
	a := wc.fixed.Load()
	if a == nil || !a[0].Start.Equal(w.Start) || !a[0].End.Equal(w.End) ||
		a[0].Start.Location() != w.Start.Location() || a[0].End.Location() != w.End.Location() {
		a = &[1]Window{w}
		wc.fixed.Store(a)
	}
	return a[:1:1]
}

// recurringAt returns the windows containing ts (as windowsAtDirect would),
// from the cache when it can. ok is false when the hour is not cacheable.
func (wc *windowCache) recurringAt(sp *cron.SpecSchedule, d time.Duration, ts time.Time) ([]Window, bool) {
	h := ts.Truncate(cacheHour)
	hk := h.UnixNano()
	slot := &wc.slots[uint64(hk/int64(cacheHour))%cacheSlots]
	hw := slot.Load()
	if hw == nil || hw.hour != hk || hw.spec != sp || hw.d != d {
		hw = buildHour(sp, d, h)
		slot.Store(hw)
	}
	if hw.tooMany {
		return nil, false
	}
	// Windows containing ts: start in (ts − d, ts]. Starts are sorted.
	lo := ts.Add(-d)
	i := sort.Search(len(hw.wins), func(k int) bool { return hw.wins[k].Start.After(lo) })
	j := sort.Search(len(hw.wins), func(k int) bool { return hw.wins[k].Start.After(ts) })
	if i >= j {
		return nil, true
	}
	return hw.wins[i:j:j], true
}

// buildHour lists the windows with start in (h − d, h + 1h).
func buildHour(sp *cron.SpecSchedule, d time.Duration, h time.Time) *hourWindows {
	hw := &hourWindows{hour: h.UnixNano(), spec: sp, d: d}
	end := h.Add(cacheHour)
	for f := sp.Next(h.Add(-d)); !f.IsZero() && f.Before(end); f = sp.Next(f) {
		if len(hw.wins) == cacheMaxWin {
			hw.wins, hw.tooMany = nil, true
			break
		}
		hw.wins = append(hw.wins, mkWindow(f, d))
	}
	return hw
}
