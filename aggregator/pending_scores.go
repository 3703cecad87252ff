package aggregator

import (
	"strings"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// pendingScores holds the standings waiting to be published: one per
// (board, user), the latest.
//
// It replaces a map keyed by (board, user), which a catch-up made the
// costliest thing the scorer does besides Engine.Apply (BENCHMARKS.md,
// "Restart catch-up: a cheaper pending set"): every change of every event
// hashed three strings and an int and compared them against a table of up
// to a million entries far out of cache. The changes of one event are all
// of its user, so here the user is looked up once per run of changes of
// one user (the last one is remembered), in a map of users (far fewer than
// pairs); the user's boards are a short slice, searched from the newest
// (an event's windows are mostly the latest). A flush walks exactly what is
// pending, user by user in the order they were first put.
type pendingScores struct {
	byUser map[string]*pendingUser
	users  []*pendingUser
	n      int          // standings held
	puts   int          // changes put, ever (a catch-up's: how much it coalesced)
	last   *pendingUser // of the last put
}

// pendingUser is one user's pending standings, msgs[i] on boards[i].
type pendingUser struct {
	user   string // a copy: the put's may be a view into an event's payload
	boards []contest.BoardID
	msgs   []ScoreMsg
}

func newPendingScores() pendingScores { return pendingScores{} }

func (p *pendingScores) len() int { return p.n }

// put makes m the pending standing of user on board b.
func (p *pendingScores) put(b contest.BoardID, user string, m ScoreMsg) {
	p.puts++
	u := p.last
	if u == nil || u.user != user {
		u = p.byUser[user]
		if u == nil {
			if p.byUser == nil {
				p.byUser = map[string]*pendingUser{}
			}
			u = &pendingUser{user: strings.Clone(user)}
			p.byUser[u.user] = u
			p.users = append(p.users, u)
		}
		p.last = u
	}
	for i := len(u.boards) - 1; i >= 0; i-- {
		if ub := &u.boards[i]; ub.Window == b.Window && ub.Contest == b.Contest && ub.Division == b.Division {
			u.msgs[i] = m
			return
		}
	}
	u.boards = append(u.boards, b)
	u.msgs = append(u.msgs, m)
	p.n++
}

// take hands every pending standing to a flush and leaves p empty; what
// the flush cannot publish it puts back. After a large set (a catch-up's)
// the user map is replaced (a Go map never shrinks), else cleared.
func (p *pendingScores) take() []*pendingUser {
	users := p.users
	if p.n >= regrowAt {
		p.byUser = nil
	} else {
		clear(p.byUser)
	}
	p.users, p.n, p.last = nil, 0, nil
	return users
}

// catchupCount is what a worker's catch-up left pending when it went live:
// every change put, and the standings (distinct (board, user)) they came to;
// at: when it started going live (its catch-up's events all applied).
type catchupCount struct {
	changes, standings int
	at                 time.Time
}
