package gateway

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/streams"
)

// hub routes live messages to connections: top messages to every
// connection subscribed to the contest, rank messages to the connections of
// that user subscribed to the contest. Routing only queues (never blocks).
type hub struct {
	mu        sync.RWMutex
	byContest map[string]map[*conn]struct{}
	byUser    map[string]map[*conn]struct{}
	notices   atomic.Uint64 // numbers the notices' queue keys
}

func newHub() *hub {
	return &hub{byContest: map[string]map[*conn]struct{}{}, byUser: map[string]map[*conn]struct{}{}}
}

// subscribe adds c to contestID; false when it already was.
func (h *hub) subscribe(c *conn, contestID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.byContest[contestID]
	if cs == nil {
		cs = map[*conn]struct{}{}
		h.byContest[contestID] = cs
	}
	if _, ok := cs[c]; ok {
		return false
	}
	cs[c] = struct{}{}
	us := h.byUser[c.user]
	if us == nil {
		us = map[*conn]struct{}{}
		h.byUser[c.user] = us
	}
	us[c] = struct{}{}
	c.contests[contestID] = true
	return true
}

// unsubscribe removes c from contestID; false when it was not there.
func (h *hub) unsubscribe(c *conn, contestID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.byContest[contestID]
	if _, ok := cs[c]; !ok {
		return false
	}
	delete(cs, c)
	if len(cs) == 0 {
		delete(h.byContest, contestID)
	}
	delete(c.contests, contestID)
	if len(c.contests) == 0 {
		us := h.byUser[c.user]
		delete(us, c)
		if len(us) == 0 {
			delete(h.byUser, c.user)
		}
	}
	return true
}

// subscribed lists c's contests.
func (h *hub) subscribed(c *conn) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(c.contests))
	for id := range c.contests {
		out = append(out, id)
	}
	return out
}

// route queues a NATS live message on the connections that may see it.
// put's personal is false for a top (one message to every subscriber of
// the contest), true for a player's own rank or notice.
func (h *hub) route(m *nats.Msg, put func(c *conn, key string, data []byte, personal bool)) {
	key := m.Subject
	contestID, user, ok := streams.ParseLiveSubject(m.Subject)
	if !ok {
		if contestID, user, ok = streams.ParseNoticeSubject(m.Subject); !ok {
			return
		}
		// Every notice counts: its own queue key, never replaced by the next.
		key = m.Subject + "#" + strconv.FormatUint(h.notices.Add(1), 10)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if user == "" {
		for c := range h.byContest[contestID] {
			put(c, m.Subject, m.Data, false)
		}
		return
	}
	for c := range h.byUser[user] {
		if c.contests[contestID] {
			put(c, key, m.Data, true)
		}
	}
}
