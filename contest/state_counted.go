package contest

import "sort"

// Counted reports whether the user's event (ts, event id) is counted now: it
// was added and is not rate limited. The rate limit is decided in event-time
// order, so a later, earlier-in-time event can still displace it.
func (u *UserWindow) Counted(ts int64, eventID string) bool {
	key := Candidate{TS: ts, EventID: eventID}
	i := sort.Search(len(u.events), func(i int) bool { return !candLess(&u.events[i], &key) })
	return i < len(u.events) && u.events[i].TS == ts && u.events[i].EventID == eventID && u.events[i].counted
}
