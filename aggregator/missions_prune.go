package aggregator

import (
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Pruning of the missions' state (prune.go does the contests'): on stream
// time, each user mission window folds the candidates older than stream time
// − the mission's max_event_delay − FoldMargin (contest.UserMission.Fold),
// and a mission window whose end + lateness + FinishedWindows has passed is
// freed (its rewards stay in MISSIONS; the scorer then drops its
// MISSION_PROGRESS keys, missions_release.go). The seen-id horizon (prune.go) takes the missions' delays too.

// pruneMissions folds and frees ps's mission state at now and returns how
// many candidates it folded.
func (e *Engine) pruneMissions(ps *partState, now time.Time) int {
	if len(ps.missions) == 0 {
		return 0
	}
	type mw struct {
		mission string
		window  int64
	}
	done, gone := map[mw]bool{}, map[mw]bool{}
	folded, freed := 0, 0
	for k, um := range ps.missions {
		m := e.rules.Mission(k.mission)
		if m == nil {
			continue // a mission no longer in force: its state stays as it was
		}
		fin, ok := done[mw{k.mission, k.window}]
		if !ok {
			fin = e.finished(m.Base, k.window, now)
			done[mw{k.mission, k.window}] = fin
		}
		if fin {
			delete(ps.missions, k)
			freed++
			gone[mw{k.mission, k.window}] = true
			continue
		}
		folded += um.Fold(now.Add(-missionDelay(m) - e.prune.FoldMargin).UnixNano())
	}
	if freed > len(ps.missions) { // a Go map keeps the room of deleted entries
		kept := make(map[missionKey]*contest.UserMission, len(ps.missions))
		for k, um := range ps.missions {
			kept[k] = um
		}
		ps.missions = kept
	}
	if hook := e.prune.OnMissionFreed; hook != nil {
		for w := range gone {
			hook(w.mission, w.window)
		}
	}
	return folded
}

// missionDelay is m's max_event_delay (the default when unset).
func missionDelay(m *contest.Mission) time.Duration {
	if m.MaxEventDelay <= 0 {
		return contest.DefaultMaxEventDelay
	}
	return m.MaxEventDelay
}

// missionDelays are the smallest and largest max_event_delay of the missions
// in force (0, 0 when there are none).
func (e *Engine) missionDelays() (lo, hi time.Duration) {
	for i, m := range e.rules.Missions() {
		d := missionDelay(m)
		if i == 0 || d < lo {
			lo = d
		}
		hi = max(hi, d)
	}
	return lo, hi
}

// missionLate reports whether an arrival at arrived of an event at ts is
// late for m's window win, whose state is um (nil: none yet): past end +
// lateness, past ts + max_event_delay, or before the state's fold horizon.
func missionLate(m *contest.Mission, win contest.Window, um *contest.UserMission, ts, arrived time.Time) bool {
	return arrived.After(win.End.Add(m.Base.Lateness)) || arrived.After(ts.Add(missionDelay(m))) ||
		(um != nil && ts.UnixNano() < um.FoldedBefore())
}

// MissionStateSize counts the user mission windows and the candidate events
// they hold (for the state-growth test and metrics).
func (e *Engine) MissionStateSize() (windows, candidates int) {
	for _, ps := range e.parts {
		windows += len(ps.missions)
		for _, um := range ps.missions {
			candidates += um.Len()
		}
	}
	return windows, candidates
}
