package aggregator

import (
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Freeing finished windows (PruneOptions.FinishedWindows) without a walk
// over every window: a partition keeps, by (contest, window), the users
// holding a window of it (ps.ends, made at its first prune that frees, then
// kept on addWindow), and a prune drops the windows of each (contest,
// window) that finished, as a visit of every window did.

// cwKey is a contest window.
type cwKey struct {
	contest string
	window  int64
}

// freeFinished drops the user windows of ps whose window is past end +
// lateness + FinishedWindows at now (a contest no longer in force keeps its
// state as it was).
func (e *Engine) freeFinished(ps *partState, now time.Time) {
	if e.prune.FinishedWindows <= 0 {
		return
	}
	if ps.ends == nil {
		ps.ends = map[cwKey][]string{}
		ps.users.each(func(n *userWin) {
			for ; n != nil; n = n.next {
				w := cwKey{n.st.Contest().ID, n.window}
				ps.ends[w] = append(ps.ends[w], n.user)
			}
		})
	}
	for w, users := range ps.ends {
		c := e.rules.Get(w.contest)
		if c == nil || !e.finished(c, w.window, now) {
			continue
		}
		for _, u := range users {
			ps.dropWindow(uwKey{contest: w.contest, window: w.window, user: u})
		}
		delete(ps.ends, w)
	}
}

// dropWindow drops the window k when held, with its abuse flags.
func (ps *partState) dropWindow(k uwKey) {
	var prev *userWin
	for n := ps.head(k.user); n != nil; prev, n = n, n.next {
		if n.window != k.window || n.st.Contest().ID != k.contest {
			continue
		}
		switch {
		case prev != nil:
			prev.next = n.next
		case n.next == nil:
			ps.delUser(k.user)
		default:
			ps.setHead(n.next)
		}
		ps.windows--
		if ps.many != nil {
			delete(ps.many, k)
		}
		delete(ps.flags, k)
		n.st = contest.WindowState{} // dead to the due queue
		return
	}
}
