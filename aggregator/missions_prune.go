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
// many candidates it folded. With OnMissionFreed set (a scorer), the users
// whose windows it freed are kept in ps.missionsFreed for the scorer to
// republish their progress value (TakeMissionsFreed).
func (e *Engine) pruneMissions(ps *partState, now time.Time) int {
	if len(ps.missions) == 0 {
		return 0
	}
	type mw struct {
		mission string
		window  int64
	}
	done, gone := map[mw]bool{}, map[mw]bool{}
	folded, emptied := 0, 0
	for user, u := range ps.missions {
		kept := u.wins[:0]
		for _, w := range u.wins {
			m := e.rules.Mission(w.mission)
			if m == nil { // a mission no longer in force: its state stays as it was
				kept = append(kept, w)
				continue
			}
			fin, ok := done[mw{w.mission, w.window}]
			if !ok {
				fin = e.finished(m.Base, w.window, now)
				done[mw{w.mission, w.window}] = fin
			}
			if fin {
				gone[mw{w.mission, w.window}] = true
				continue
			}
			folded += w.um.Fold(now.Add(-missionDelay(m) - e.prune.FoldMargin).UnixNano())
			kept = append(kept, w)
		}
		if len(kept) == len(u.wins) {
			continue
		}
		clear(u.wins[len(kept):]) // no pointer to a freed state stays behind
		u.wins = kept
		if e.prune.OnMissionFreed != nil {
			ps.missionsFreed = append(ps.missionsFreed, user)
		}
		if len(kept) == 0 {
			delete(ps.missions, user)
			emptied++
		}
	}
	if emptied > len(ps.missions) { // a Go map keeps the room of deleted entries
		kept := make(map[string]*userMissions, len(ps.missions))
		for user, u := range ps.missions {
			kept[user] = u
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

// TakeMissionsFreed returns (and forgets) the users of partition p whose
// mission windows pruning freed since the last call (kept only with
// PruneOptions.OnMissionFreed set).
func (e *Engine) TakeMissionsFreed(p int) []string {
	ps := e.parts[p]
	if ps == nil || len(ps.missionsFreed) == 0 {
		return nil
	}
	out := ps.missionsFreed
	ps.missionsFreed = nil
	return out
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
		ps.eachMission(func(_ string, w *missionWin) {
			windows++
			candidates += w.um.Len()
		})
	}
	return windows, candidates
}
