package contest

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Registry holds the contest versions in force. Safe for concurrent use.
type Registry struct {
	set    atomic.Pointer[RuleSet]
	mu     sync.Mutex // serialises writers of freezes
	freeze atomic.Pointer[freezeSet]
	// missions in force (registry_missions.go); nil: none
	missions atomic.Pointer[missionSet]
}

// RuleSet is one immutable view of the contests in force; every Set makes a
// new one, so comparing pointers tells whether the rules changed.
type RuleSet struct {
	list []*Contest
	byID map[string]*Contest
}

// NewRegistry returns a Registry holding cs.
func NewRegistry(cs []*Contest) *Registry {
	r := &Registry{}
	r.freeze.Store(&freezeSet{})
	r.Set(cs)
	return r
}

// Set replaces the contests in force.
func (r *Registry) Set(cs []*Contest) {
	s := &RuleSet{list: append([]*Contest(nil), cs...), byID: make(map[string]*Contest, len(cs))}
	sort.Slice(s.list, func(i, j int) bool { return s.list[i].ID < s.list[j].ID })
	for _, c := range s.list {
		s.byID[c.ID] = c
	}
	r.set.Store(s)
}

// All returns the contests in force, sorted by id. Do not modify.
func (r *Registry) All() []*Contest { return r.set.Load().list }

// Get returns the contest with id.
func (r *Registry) Get(id string) *Contest { return r.set.Load().byID[id] }

// SetFrozen freezes (accruals stop) or unfreezes a contest for every event
// that arrives from now on; see Freeze.
func (r *Registry) SetFrozen(id string, frozen bool) { r.Freeze(id, frozen, time.Now()) }

// Frozen reports whether the operators' last word on a contest is "frozen".
func (r *Registry) Frozen(id string) bool {
	ms := r.freeze.Load().marks[id]
	return len(ms) > 0 && ms[len(ms)-1].frozen
}

// Current returns the contests in force as one immutable view.
func (r *Registry) Current() *RuleSet { return r.set.Load() }

// All returns the view's contests, sorted by id. Do not modify.
func (s *RuleSet) All() []*Contest { return s.list }

// Get returns the view's contest with id, or nil.
func (s *RuleSet) Get(id string) *Contest { return s.byID[id] }

// WithOnly returns a new Registry holding only cs, with r's freezes and
// closes as they are now (a scratch registry for re-scoring one version).
func (r *Registry) WithOnly(cs []*Contest) *Registry {
	n := &Registry{}
	n.freeze.Store(r.freeze.Load())
	n.Set(cs)
	return n
}
