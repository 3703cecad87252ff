package contest

// Recomputing a user's mission window from an insertion point. Every
// candidate keeps the state just before it (first step not done and its
// progress, MissionCand.step and .prog), which depends only on the
// candidates before it: so the state before an insertion point is exact,
// and the candidates from it on are replayed exactly as a full recompute
// replays them. A distinct_games step's set of games is not kept: it is
// rebuilt from the candidates of the same step before the point (it holds
// exactly prog games), with the folded summary's games when the step began
// before the fold. The rate limit needs no state: a candidate counts iff
// fewer than m candidates of its second precede it, which the counted
// flags just before it say.

// countedInSecond is the number of counted candidates before events[i] in
// events[i]'s second (at most the rate limit: counting stops there). A
// candidate of the second not counted before it means the limit was reached.
func (u *UserMission) countedInSecond(i int) int {
	m := u.m.Base.AntiAbuse.MaxEventsPerUserPerSec
	sec := floorDiv(u.events[i].TS, 1e9)
	if i > 0 && !u.events[i-1].counted && floorDiv(u.events[i-1].TS, 1e9) == sec {
		return m
	}
	cnt := 0
	for j := i - 1; j >= 0 && cnt < m && floorDiv(u.events[j].TS, 1e9) == sec; j-- {
		if u.events[j].counted {
			cnt++
		}
	}
	return cnt
}

// replayFrom recomputes the progress from events[i] on; events[i].step and
// .prog hold the state before it.
func (u *UserMission) replayFrom(i int) {
	e := &u.events[i]
	u.cur, u.prog = int(e.step), e.prog
	clear(u.games)
	if u.cur < len(u.m.Steps) && u.m.Steps[u.cur].Goal.Type == GoalDistinctGames && u.prog > 0 {
		if u.games == nil {
			u.games = make(map[string]struct{}, 4)
		}
		u.gamesBefore(i, u.games)
	}
	m := u.m.Base.AntiAbuse.MaxEventsPerUserPerSec
	secCount, curSec := 0, int64(0)
	if m > 0 {
		secCount, curSec = u.countedInSecond(i), floorDiv(e.TS, 1e9)
	}
	for j := i; j < len(u.events); j++ {
		e := &u.events[j]
		e.step, e.prog = uint8(u.cur), u.prog
		if m > 0 {
			if sec := floorDiv(e.TS, 1e9); sec != curSec {
				curSec, secCount = sec, 0
			}
			if secCount >= m {
				e.counted = false
				continue
			}
			secCount++
		}
		e.counted = true
		u.apply(e)
	}
}

// gamesBefore adds to set the games of the distinct_games step
// events[i].step counted before events[i]: events[i].prog of them.
func (u *UserMission) gamesBefore(i int, set map[string]struct{}) {
	s, want := u.events[i].step, int(u.events[i].prog)
	bit := uint64(1) << s
	for j := i - 1; j >= 0 && len(set) < want && u.events[j].step == s; j-- {
		if e := &u.events[j]; e.counted && e.Scope&bit != 0 {
			set[e.Game] = struct{}{}
		}
	}
	if len(set) < want { // the step began before the fold
		for _, g := range u.fold.games {
			set[g] = struct{}{}
		}
	}
}
