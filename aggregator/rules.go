// Package aggregator turns the EVENTS stream into standings: scorer shards
// (one state per user partition) apply the contest rules and emit absolute
// standings to the compacted SCORES stream; the ranker keeps every board in an
// order-statistic tree and writes changes to the Redis read model.
package aggregator

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Rules holds the contest versions in force. Safe for concurrent use.
type Rules struct {
	set    atomic.Pointer[ruleSet]
	mu     sync.Mutex // serialises writers of freezes
	freeze atomic.Pointer[freezeSet]
	// missions in force (see missions.go); nil: none
	missions atomic.Pointer[missionSet]
}

type ruleSet struct {
	list []*contest.Contest
	byID map[string]*contest.Contest
}

// NewRules returns Rules holding cs.
func NewRules(cs []*contest.Contest) *Rules {
	r := &Rules{}
	r.freeze.Store(&freezeSet{})
	r.Set(cs)
	return r
}

// Set replaces the contests in force.
func (r *Rules) Set(cs []*contest.Contest) {
	s := &ruleSet{list: append([]*contest.Contest(nil), cs...), byID: make(map[string]*contest.Contest, len(cs))}
	sort.Slice(s.list, func(i, j int) bool { return s.list[i].ID < s.list[j].ID })
	for _, c := range s.list {
		s.byID[c.ID] = c
	}
	r.set.Store(s)
}

// All returns the contests in force, sorted by id. Do not modify.
func (r *Rules) All() []*contest.Contest { return r.set.Load().list }

// Get returns the contest with id.
func (r *Rules) Get(id string) *contest.Contest { return r.set.Load().byID[id] }

// SetFrozen freezes (accruals stop) or unfreezes a contest for every event
// that arrives from now on; see Freeze.
func (r *Rules) SetFrozen(id string, frozen bool) { r.Freeze(id, frozen, time.Now()) }

// Frozen reports whether the operators' last word on a contest is "frozen".
func (r *Rules) Frozen(id string) bool {
	ms := r.freeze.Load().marks[id]
	return len(ms) > 0 && ms[len(ms)-1].frozen
}
