package contest

import (
	"math"
	"sort"
)

// MissionCand is one event that passed a mission's scope, eligibility,
// window, lateness and deduplication: it counts unless rate limited.
type MissionCand struct {
	TS         int64 // unix nanos (event time)
	EventID    string
	Arrived    int64 // unix nanos of the JetStream timestamp
	Bet        int64
	Multiplier float64
	Game       string
	Scope      uint64 // bit i set: the event is in step i's goal scope

	// Derived (last computation): the state just before this candidate.
	counted bool  // not rate limited
	step    uint8 // the first step not done (≤ 64: Scope's bits)
	prog    int64 // that step's progress
}

// StepProgress is a step's progress in one user's mission window.
type StepProgress struct {
	ID       string
	Done     bool
	Progress int64 // toward Target, at most Target
	Target   int64
}

// Completed is a step (or StepCompletion) that became done: its reward is due.
type Completed struct {
	Step    string
	Arrived int64 // stream time (unix nanos) of the event that completed it
}

// UserMission is the progress of one user in one mission window. Like
// UserWindow it keeps the user's candidate events in event-time order (ts,
// then event_id): an arrival in event-time order is applied incrementally, an
// out-of-order one recomputes the window from its insertion point (the state
// before each candidate is kept with it, mission_state_replay.go), so the
// progress never depends on arrival order.
//
// Semantics (CONTRACT.md §7): taking the counted events in event-time order,
// an event counts only toward the first step not yet done, and only if it is
// in that step's goal scope; the event that completes a step counts toward
// no other. A step once reported done (its reward emitted) stays reported:
// rewards are never taken back, even if a later out-of-order arrival
// rate-limits the event that completed it.
type UserMission struct {
	m      *Mission
	events []MissionCand

	// Derived from events (recomputed).
	cur    int                 // first step not done
	prog   int64               // progress of step cur
	games  map[string]struct{} // distinct_games of step cur
	doneAt []int64             // arrival of the completing event, steps < cur

	emitted     uint64  // bit i: step i's completion was reported
	emittedDone bool    // the completion was reported
	emittedAt   []int64 // Completed.Arrived as reported, per step, then the completion

	fold missionFold // what the folded candidates left (mission_fold.go)
}

// NewUserMission returns empty progress for m.
func NewUserMission(m *Mission) *UserMission {
	n := len(m.Steps)
	at := make([]int64, 2*n+1) // one allocation for both
	return &UserMission{m: m, doneAt: at[:n:n], emittedAt: at[n:]}
}

// Len is the number of candidate events held (the folded ones are not).
func (u *UserMission) Len() int { return len(u.events) }

func mcandLess(a, b *MissionCand) bool {
	if a.TS != b.TS {
		return a.TS < b.TS
	}
	return a.EventID < b.EventID
}

// Add takes one candidate and returns the steps (and the completion) that
// became done and were not reported before, in step order.
func (u *UserMission) Add(c MissionCand) []Completed {
	u.insert(c)
	return u.collect()
}

func (u *UserMission) insert(c MissionCand) {
	n := len(u.events)
	if n == 0 || mcandLess(&u.events[n-1], &c) {
		u.events = append(u.events, c)
		u.appendLast()
		return
	}
	i := sort.Search(n, func(i int) bool { return mcandLess(&c, &u.events[i]) })
	u.events = append(u.events, MissionCand{})
	copy(u.events[i+1:], u.events[i:])
	c.step, c.prog = u.events[i+1].step, u.events[i+1].prog // the state before position i
	u.events[i] = c
	u.replayFrom(i)
}

// appendLast applies the newest (in event time) candidate incrementally.
func (u *UserMission) appendLast() {
	idx := len(u.events) - 1
	e := &u.events[idx]
	e.step, e.prog = uint8(u.cur), u.prog
	if m := u.m.Base.AntiAbuse.MaxEventsPerUserPerSec; m > 0 && u.countedInSecond(idx) >= m {
		e.counted = false
		return
	}
	e.counted = true
	u.apply(e)
}

// apply counts one counted event toward the first step not yet done.
func (u *UserMission) apply(e *MissionCand) {
	if u.cur >= len(u.m.Steps) || e.Scope&(1<<uint(u.cur)) == 0 {
		return
	}
	g := &u.m.Steps[u.cur].Goal
	switch g.Type {
	case GoalSpinCount:
		u.prog++
	case GoalWinMultiplier:
		if e.Multiplier >= g.Min {
			u.prog = 1
		}
	case GoalWagerTotal:
		if e.Bet > math.MaxInt64-u.prog {
			u.prog = math.MaxInt64
		} else {
			u.prog += e.Bet
		}
	case GoalDistinctGames:
		if u.games == nil {
			u.games = make(map[string]struct{}, 4)
		}
		u.games[e.Game] = struct{}{}
		u.prog = int64(len(u.games))
	}
	if u.prog >= g.Target() {
		u.doneAt[u.cur] = e.Arrived
		u.cur++
		u.prog = 0
		clear(u.games)
	}
}

// collect latches and returns the completions not reported yet.
func (u *UserMission) collect() []Completed {
	var out []Completed
	for i := 0; i < u.cur; i++ {
		if u.emitted&(1<<uint(i)) == 0 {
			u.emitted |= 1 << uint(i)
			u.emittedAt[i] = u.doneAt[i]
			out = append(out, Completed{Step: u.m.Steps[i].ID, Arrived: u.doneAt[i]})
		}
	}
	if n := len(u.m.Steps); u.cur == n && !u.emittedDone {
		u.emittedDone = true
		u.emittedAt[n] = u.doneAt[n-1]
		out = append(out, Completed{Step: StepCompletion, Arrived: u.doneAt[n-1]})
	}
	return out
}

// Progress is every step's progress, in step order.
func (u *UserMission) Progress() []StepProgress {
	out := make([]StepProgress, len(u.m.Steps))
	for i := range u.m.Steps {
		st := &u.m.Steps[i]
		p := StepProgress{ID: st.ID, Target: st.Goal.Target()}
		switch {
		case i < u.cur:
			p.Done, p.Progress = true, p.Target
		case i == u.cur:
			p.Progress = u.prog
		}
		out[i] = p
	}
	return out
}

// Reported returns the steps (and StepCompletion) whose completion was
// reported, in step order.
func (u *UserMission) Reported() []string {
	var out []string
	for i := range u.m.Steps {
		if u.emitted&(1<<uint(i)) != 0 {
			out = append(out, u.m.Steps[i].ID)
		}
	}
	if u.emittedDone {
		out = append(out, StepCompletion)
	}
	return out
}

// CompletedAt is the Completed.Arrived with which step (a step id or
// StepCompletion) was reported, 0 when it was not.
func (u *UserMission) CompletedAt(step string) int64 {
	if step == StepCompletion {
		return u.emittedAt[len(u.m.Steps)]
	}
	for i := range u.m.Steps {
		if u.m.Steps[i].ID == step {
			return u.emittedAt[i]
		}
	}
	return 0
}
