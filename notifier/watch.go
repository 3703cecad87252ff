package notifier

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// anyContest is the contest key of a player subscribed to lb.*.user.<id>.
const anyContest = "*"

// watchSet is the watched users: WebSocket subscriptions (reference counted,
// Watch/Unwatch), the NATS subscriptions this process's interest source sees,
// and those every process shared in the watch bucket (the last two replaced
// at each poll). The ranker reads an immutable snapshot, rebuilt by the
// notifier goroutine when the set changed, so Watched never takes a lock the
// gateway holds. A snapshot holds at most max pairs (0: no bound).
type watchSet struct {
	mu     sync.Mutex
	ws     map[string]map[string]int // contest -> user -> subscriptions
	nats   map[string]map[string]bool
	shared map[string]map[string]bool
	max    int
	dirty  bool

	snap atomic.Pointer[watchSnap]
}

// watchSnap maps a contest to its watched users, those watching every
// contest included; other contests get any.
type watchSnap struct {
	byContest map[string][]string
	any       []string
	n         int
	dropped   int // pairs over max, not in the snapshot
}

func newWatchSet() *watchSet {
	w := &watchSet{ws: map[string]map[string]int{}, nats: map[string]map[string]bool{}, shared: map[string]map[string]bool{}}
	w.snap.Store(&watchSnap{byContest: map[string][]string{}})
	return w
}

func (w *watchSet) add(contestID, user string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.ws[contestID]
	if m == nil {
		m = map[string]int{}
		w.ws[contestID] = m
	}
	m[user]++
	w.dirty = true
}

func (w *watchSet) remove(contestID, user string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.ws[contestID]
	if m[user] <= 1 {
		delete(m, user)
		if len(m) == 0 {
			delete(w.ws, contestID)
		}
	} else {
		m[user]--
	}
	w.dirty = true
}

// setNATS replaces the NATS interest this process sees.
func (w *watchSet) setNATS(in []streams.Interest) { w.setSource(&w.nats, in) }

// setShared replaces the interest every process shared.
func (w *watchSet) setShared(in []streams.Interest) { w.setSource(&w.shared, in) }

func (w *watchSet) setSource(src *map[string]map[string]bool, in []streams.Interest) {
	next := map[string]map[string]bool{}
	for _, i := range in {
		m := next[i.Contest]
		if m == nil {
			m = map[string]bool{}
			next[i.Contest] = m
		}
		m[i.User] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if equalSets(*src, next) {
		return
	}
	*src = next
	w.dirty = true
}

// local is what this process sees: its WebSocket and NATS interest (what it
// shares in the watch bucket).
func (w *watchSet) local() []streams.Interest {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []streams.Interest
	for c, m := range w.ws {
		for u := range m {
			out = append(out, streams.Interest{Contest: c, User: u})
		}
	}
	for c, m := range w.nats {
		for u := range m {
			out = append(out, streams.Interest{Contest: c, User: u})
		}
	}
	return out
}

func equalSets(a, b map[string]map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for c, ua := range a {
		ub := b[c]
		if len(ua) != len(ub) {
			return false
		}
		for u := range ua {
			if !ub[u] {
				return false
			}
		}
	}
	return true
}

// rebuild publishes a new snapshot when the set changed; it returns the
// snapshot, or nil when nothing changed.
func (w *watchSet) rebuild() *watchSnap {
	w.mu.Lock()
	if !w.dirty {
		w.mu.Unlock()
		return nil
	}
	w.dirty = false
	sets := map[string]map[string]bool{}
	addAll := func(c, u string) {
		m := sets[c]
		if m == nil {
			m = map[string]bool{}
			sets[c] = m
		}
		m[u] = true
	}
	for c, m := range w.ws {
		for u := range m {
			addAll(c, u)
		}
	}
	for _, src := range []map[string]map[string]bool{w.nats, w.shared} {
		for c, m := range src {
			for u := range m {
				addAll(c, u)
			}
		}
	}
	limit := w.max
	w.mu.Unlock()

	s := &watchSnap{byContest: make(map[string][]string, len(sets))}
	s.dropped = bound(sets, limit)
	s.any = sortedKeys(sets[anyContest])
	for c, m := range sets {
		s.n += len(m)
		if c == anyContest {
			continue
		}
		for _, u := range s.any {
			m[u] = true
		}
		s.byContest[c] = sortedKeys(m)
	}
	w.snap.Store(s)
	return s
}

// bound keeps at most limit (contest, user) pairs of sets (0: all), the
// first in (contest, user) order, and returns how many it dropped.
func bound(sets map[string]map[string]bool, limit int) int {
	total := 0
	for _, m := range sets {
		total += len(m)
	}
	if limit <= 0 || total <= limit {
		return 0
	}
	contests := make([]string, 0, len(sets))
	for c := range sets {
		contests = append(contests, c)
	}
	sort.Strings(contests)
	kept := 0
	for _, c := range contests {
		for _, u := range sortedKeys(sets[c]) {
			if kept < limit {
				kept++
				continue
			}
			delete(sets[c], u)
		}
		if len(sets[c]) == 0 {
			delete(sets, c)
		}
	}
	return total - kept
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// users is the ranker's Watched: no lock, no allocation.
func (w *watchSet) users(id contest.BoardID) []string {
	s := w.snap.Load()
	if u, ok := s.byContest[id.Contest]; ok {
		return u
	}
	return s.any
}
