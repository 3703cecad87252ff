package replay

import (
	"sort"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// MissionProgress is one user's replayed progress in one mission window,
// computed by the live scorer's Engine from the same events: Doc is what
// GET /v1/missions/{id}/progress would answer, Rewards the steps (and
// "completion") with a reward that the scorer reports on MISSIONS.
type MissionProgress struct {
	Mission string
	Window  contest.Window
	User    string
	Doc     contest.MissionProgressDoc
	Rewards []string
}

// collectMissions lists every mission state of the engines (only missions
// whose rules are in Options.Rules), sorted by mission, window, user; with
// Options.HasWindow only that window.
func collectMissions(opts Options, engines []*aggregator.Engine) []MissionProgress {
	var out []MissionProgress
	for _, e := range engines {
		e.MissionStates(func(m *contest.Mission, win contest.Window, user string, um *contest.UserMission) {
			if opts.HasWindow && win.Key() != opts.Window {
				return
			}
			mp := MissionProgress{Mission: m.ID, Window: win, User: user, Doc: um.ProgressDoc(win)}
			for _, step := range um.Reported() {
				if m.StepReward(step) != nil {
					mp.Rewards = append(mp.Rewards, step)
				}
			}
			out = append(out, mp)
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Mission != b.Mission {
			return a.Mission < b.Mission
		}
		if a.Window.Key() != b.Window.Key() {
			return a.Window.Key() < b.Window.Key()
		}
		return a.User < b.User
	})
	return out
}
