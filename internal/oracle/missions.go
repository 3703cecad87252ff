package oracle

import (
	"sort"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
)

// Missions (CONTRACT.md §7 "Missions"), recomputed from the text:
//
//  1. Valid arrivals in Seq order (as for contests). For each mission and
//     each of its windows containing ts, the dedup key is (mission, window,
//     event_id): the first valid arrival decides.
//  2. It counts only if in the mission's scope, eligible, and arrived no later
//     than end + lateness and no later than ts + max_event_delay (else late).
//  3. Rate limit per user per mission window: in event-time order (ts, then
//     event_id), at most M events per second of ts count.
//  4. Steps: taking the counted events in event-time order, an event counts
//     only toward the first step not yet done, and only if it is in that
//     step's goal scope; the one that completes a step counts toward no other.
//     spin_count: counted events ≥ count; win_multiplier: one event with
//     multiplier ≥ min; wager_total: Σ bet ≥ amount_minor; distinct_games:
//     distinct game.id ≥ count.
//  5. Progress: a done step shows target/target, the first step not done
//     its progress so far, later steps 0; win_multiplier's target is 1.
//  6. Rewards: a step (or the completion) is due as soon as it is done after
//     some arrival (the recomputation over the arrivals up to it), and stays
//     due: its completing time is the arrival time of the event that
//     completed it in that first recomputation. Only steps with a reward.

// MissionKey is one user's mission window.
type MissionKey struct {
	Mission string
	Window  int64 // start, unix seconds
	User    string
}

// MissionStep is the progress of one step.
type MissionStep struct {
	ID       string
	Done     bool
	Progress int64
	Target   int64
}

// MissionReward is a step (or "completion") whose reward became due.
type MissionReward struct {
	Key     MissionKey
	Step    string
	Arrived time.Time // of the event completing it
}

// MissionResult is the recomputation of every mission.
type MissionResult struct {
	Progress map[MissionKey][]MissionStep
	Rewards  []MissionReward
	Late     int
}

type mcand struct {
	ev      *event.Event
	arrived time.Time
}

// ComputeMissions recomputes every mission from scratch.
func ComputeMissions(ms []*contest.Mission, arrivals []Arrival, maxFutureSkew time.Duration) MissionResult {
	res := MissionResult{Progress: map[MissionKey][]MissionStep{}}
	ordered := append([]Arrival(nil), arrivals...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].Seq < ordered[j].Seq })
	var valid []mcand
	for _, a := range ordered {
		if ev := parseEvent(a.Raw, a.Subject, a.Arrived, maxFutureSkew); ev != nil {
			valid = append(valid, mcand{ev, a.Arrived})
		}
	}
	for _, m := range ms {
		r := prepare(m.Base)
		seen := map[[2]string]bool{}
		cands := map[MissionKey][]mcand{} // in arrival order
		var keys []MissionKey
		for _, c := range valid {
			for _, w := range r.windows(c.ev.TS) {
				dk := [2]string{w.start.Format(time.RFC3339), c.ev.EventID}
				if seen[dk] {
					continue
				}
				seen[dk] = true
				if !r.inScope(c.ev) || !r.eligible(c.ev) {
					continue
				}
				if c.arrived.After(w.end.Add(m.Base.Lateness)) || c.arrived.After(c.ev.TS.Add(m.MaxEventDelay)) {
					res.Late++
					continue
				}
				k := MissionKey{Mission: m.ID, Window: w.start.Unix(), User: c.ev.UserID}
				if len(cands[k]) == 0 {
					keys = append(keys, k)
				}
				cands[k] = append(cands[k], c)
			}
		}
		for _, k := range keys {
			evs := cands[k]
			due := map[string]bool{}
			for i := range evs {
				steps, by := missionSteps(m, evs[:i+1])
				for s, st := range steps {
					if st.Done && m.Steps[s].Reward != nil && !due[st.ID] {
						due[st.ID] = true
						res.Rewards = append(res.Rewards, MissionReward{Key: k, Step: st.ID, Arrived: by[s].arrived})
					}
				}
				if last := len(steps) - 1; steps[last].Done && m.Completion != nil && !due["completion"] {
					due["completion"] = true
					res.Rewards = append(res.Rewards, MissionReward{Key: k, Step: "completion", Arrived: by[last].arrived})
				}
			}
			res.Progress[k], _ = missionSteps(m, evs)
		}
	}
	return res
}

// missionSteps applies rules 3-5 to one user's candidates of one mission
// window; by[i] is the event that completed step i.
func missionSteps(m *contest.Mission, cands []mcand) ([]MissionStep, []mcand) {
	list := append([]mcand(nil), cands...)
	sort.Slice(list, func(i, j int) bool { return before(list[i].ev, list[j].ev) })
	if lim := m.Base.AntiAbuse.MaxEventsPerUserPerSec; lim > 0 {
		perSec := map[int64]int{}
		kept := list[:0:0]
		for _, c := range list {
			if s := c.ev.TS.Unix(); perSec[s] < lim {
				perSec[s]++
				kept = append(kept, c)
			}
		}
		list = kept
	}
	steps := make([]MissionStep, len(m.Steps))
	by := make([]mcand, len(m.Steps))
	for i, st := range m.Steps {
		steps[i] = MissionStep{ID: st.ID, Target: goalTarget(st.Goal)}
	}
	cur, sum := 0, int64(0)
	games := map[string]bool{}
	for _, c := range list {
		if cur == len(m.Steps) {
			break
		}
		g := m.Steps[cur].Goal
		if !goalScope(g.Scope, c.ev) {
			continue
		}
		switch g.Type {
		case contest.GoalSpinCount:
			sum++
		case contest.GoalWinMultiplier:
			if c.ev.Multiplier >= g.Min {
				sum = 1
			}
		case contest.GoalWagerTotal:
			sum += c.ev.BetMinor
		case contest.GoalDistinctGames:
			games[c.ev.GameID] = true
			sum = int64(len(games))
		}
		steps[cur].Progress = sum
		if sum >= steps[cur].Target {
			steps[cur].Done, steps[cur].Progress, by[cur] = true, steps[cur].Target, c
			cur, sum, games = cur+1, 0, map[string]bool{}
		}
	}
	return steps, by
}

func goalTarget(g contest.Goal) int64 {
	switch g.Type {
	case contest.GoalWinMultiplier:
		return 1
	case contest.GoalWagerTotal:
		return g.AmountMinor
	}
	return g.Count
}

func goalScope(s contest.Scope, ev *event.Event) bool {
	return globAny(s.Markets, ev.Market) && globAny(s.Brands, ev.Brand) &&
		globAny(s.Providers, ev.GameProvider) && globAny(s.GameTypes, ev.GameType) &&
		globAny(s.Games, ev.GameID)
}
