package aggregator

import (
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// Missions in the scorer (docs/missions.md). A mission's progress is
// per-user state in the user's partition, next to the contests' state: the
// same Engine decides it from the same events, with the same dedup (the
// partition's first valid arrival of an event_id), window, lateness and
// rate-limit rules, and the same checkpoints hold it.

// MissionUpdate is a user's mission window whose progress an event changed.
type MissionUpdate struct {
	Mission *contest.Mission
	Window  contest.Window
	User    string
	// State is the live progress, to be read on the engine's goroutine only.
	State *contest.UserMission
	// Done are the steps (and the completion) this event made done.
	Done []contest.Completed
}

// MissionDecision is what one event did to the missions: the user mission
// windows it counted in (Updates: valid until the engine's next Apply, its
// storage is reused). (Late arrivals are in Decision.Late; the other
// reasons an event does not count for a mission are not reported per event,
// to keep the hot path free of allocations.)
type MissionDecision struct {
	Updates []MissionUpdate
}

// scoreMissions offers a valid, first-arrival event to every mission.
func (e *Engine) scoreMissions(d *Decision, se StoredEvent, ps *partState, ev *event.Event) {
	var user *userMissions // the user's mission windows, looked up once
	d.Missions.Updates = e.mupd[:0]
	for _, m := range e.rules.Missions() {
		// Scope and eligibility first: they are cheap, and most events of a
		// scoped mission stop there before the window lookup.
		if !m.Base.InScope(ev) || m.Base.Eligible(ev) != "" {
			continue
		}
		wins := m.WindowsAt(ev.TS)
		if len(wins) == 0 {
			continue
		}
		if user == nil {
			user = ps.userMissions(ev.UserID)
		}
		var cand contest.MissionCand
		for _, win := range wins {
			um := user.find(m.ID, win.Key())
			if missionLate(m, win, um, ev.TS, se.Time) {
				d.late(LateHit{Contest: m.Base, Window: win})
				continue
			}
			if cand.EventID == "" { // built once, for the first window that counts it
				cand = missionCandidate(m, se.Time, ev)
			}
			if um == nil {
				um = contest.NewUserMission(m)
				user.add(m.ID, win.Key(), um)
			}
			d.Missions.Updates = append(d.Missions.Updates, MissionUpdate{Mission: m, Window: win, User: ev.UserID, State: um, Done: um.Add(cand)})
		}
	}
	e.mupd = d.Missions.Updates[:0]
	if user != nil && len(user.wins) == 0 {
		delete(ps.missions, ev.UserID) // every window was late: keep no empty entry
	}
}

func missionCandidate(m *contest.Mission, arrived time.Time, ev *event.Event) contest.MissionCand {
	c := contest.MissionCand{TS: ev.TS.UnixNano(), EventID: ev.EventID, Arrived: arrived.UnixNano(),
		Bet: ev.BetMinor, Multiplier: ev.Multiplier, Game: ev.GameID}
	for i := range m.Steps {
		if m.Steps[i].Goal.InScope(ev) {
			c.Scope |= 1 << uint(i)
		}
	}
	return c
}

// MissionStates calls fn for every user mission window the engine holds.
func (e *Engine) MissionStates(fn func(m *contest.Mission, win contest.Window, user string, um *contest.UserMission)) {
	for _, ps := range e.parts {
		ps.eachMission(func(user string, w *missionWin) {
			m := e.rules.Mission(w.mission)
			if m == nil {
				return
			}
			if win, ok := m.Base.WindowAt(time.Unix(w.window, 0).UTC()); ok {
				fn(m, win, user, w.um)
			}
		})
	}
}
