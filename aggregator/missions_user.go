package aggregator

import (
	"github.com/rankstream/rankstream/contest"
)

// A partition's mission state is kept per user: one map entry (one hash of
// the user id per event, whatever the number of missions) holding the user's
// mission windows in (mission, window) order, the order in which the scorer
// writes them in the user's one progress value (scorer_missions.go).

// userMissions is one user's mission windows.
type userMissions struct {
	wins []missionWin
}

// missionWin is one of a user's mission windows.
type missionWin struct {
	mission string
	window  int64 // the window's key (start, unix seconds)
	um      *contest.UserMission
}

func missionWinLess(mission string, window int64, w *missionWin) bool {
	if mission != w.mission {
		return mission < w.mission
	}
	return window < w.window
}

// find returns the state of mission's window, or nil.
func (u *userMissions) find(mission string, window int64) *contest.UserMission {
	for i := range u.wins {
		if w := &u.wins[i]; w.window == window && w.mission == mission {
			return w.um
		}
	}
	return nil
}

// add inserts the state of a window it does not hold, keeping the order.
func (u *userMissions) add(mission string, window int64, um *contest.UserMission) {
	i := len(u.wins)
	for i > 0 && missionWinLess(mission, window, &u.wins[i-1]) {
		i--
	}
	u.wins = append(u.wins, missionWin{})
	copy(u.wins[i+1:], u.wins[i:])
	u.wins[i] = missionWin{mission: mission, window: window, um: um}
}

// userMissions returns user's mission windows, creating the entry.
func (ps *partState) userMissions(user string) *userMissions {
	u := ps.missions[user]
	if u == nil {
		if ps.missions == nil {
			ps.missions = make(map[string]*userMissions)
		}
		u = &userMissions{}
		ps.missions[user] = u
	}
	return u
}

// missionWindows is the number of user mission windows ps holds.
func (ps *partState) missionWindows() int {
	n := 0
	for _, u := range ps.missions {
		n += len(u.wins)
	}
	return n
}

// eachMission calls fn for every user mission window of ps, users in map
// order, each user's windows in order.
func (ps *partState) eachMission(fn func(user string, w *missionWin)) {
	for user, u := range ps.missions {
		for i := range u.wins {
			fn(user, &u.wins[i])
		}
	}
}

// missionUsers calls fn for every user holding mission state, with its
// partition.
func (e *Engine) missionUsers(fn func(p int, user string)) {
	for p, ps := range e.parts {
		for user := range ps.missions {
			fn(p, user)
		}
	}
}
