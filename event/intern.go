package event

import "sync/atomic"

// internTable shares the strings of short, low-cardinality tokens (market,
// brand, game ids, currency, device tokens) across events, so decoding an
// event does not allocate them again: a direct-mapped cache of
// internSlots entries, lock-free, safe for concurrent use; a collision only
// costs an allocation. It is the one piece of package state, a cache that
// never changes what Parse returns.
type internTable struct {
	slots [internSlots]atomic.Pointer[string]
}

const (
	internSlots  = 4096
	internMaxLen = MaxGameRefLen // longer values are copied, not interned
)

var tokens internTable

// intern returns b as a string, shared with earlier calls for the same bytes.
func intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > internMaxLen {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &tokens.slots[h%internSlots]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
