package aggregator

import (
	"fmt"

	"github.com/rankstream/rankstream/contest"
)

// VisitAllWindows, for tests, does what a prune did before the due queue,
// in each partition that pruned at the engine's stream time (called after
// every Apply: right after each prune): it folds every window (but those
// added since) at the prune's horizon and counts what that folded, and the
// windows held that the prune should have freed. Both are 0 when the due
// queue visited every window that had something to fold or free.
func (e *Engine) VisitAllWindows() (folded, unfreed int) {
	for _, ps := range e.parts {
		if !ps.pruned.Equal(e.now) {
			continue
		}
		ps.users.each(func(n *userWin) {
			for ; n != nil; n = n.next {
				c := e.rules.Get(n.st.Contest().ID)
				if c == nil {
					continue
				}
				if e.finished(c, n.window, ps.pruned) {
					unfreed++
				}
				if q := ps.due[c.ID]; q != nil && q.upTo != 0 && n.st.Mark() != markFresh {
					folded += n.st.Fold(q.upTo)
				}
			}
		})
	}
	return folded, unfreed
}

// WindowBytes, for tests, is every window's checkpoint bytes by contest,
// window and user.
func (e *Engine) WindowBytes() map[string]string {
	out := map[string]string{}
	for p, ps := range e.parts {
		ps.eachWindow(func(k uwKey, st *contest.WindowState) {
			out[fmt.Sprintf("%d/%s/%d/%s", p, k.contest, k.window, k.user)] = string(st.AppendBinary(nil))
		})
	}
	return out
}
