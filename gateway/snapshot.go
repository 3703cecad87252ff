package gateway

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/notifier"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

func topKey(contestID string) string        { return streams.LiveTopSubject(contestID) }
func rankKey(contestID, user string) string { return streams.LiveUserSubject(contestID, user) }

func (g *Gateway) findContest(id string) *contest.Contest {
	for _, c := range g.opts.Contests() {
		if c != nil && c.ID == id {
			return c
		}
	}
	return nil
}

// subscribe registers c for contestID's live messages, then queues the
// current state; a live message that arrives meanwhile wins over it.
func (c *conn) subscribe(ctx context.Context, contestID string) {
	ct := c.g.findContest(contestID)
	if ct == nil {
		c.sendError(contestID, "unknown contest")
		return
	}
	if len(c.g.hub.subscribed(c)) >= c.g.opts.MaxContests {
		c.sendError(contestID, fmt.Sprintf("at most %d subscriptions per connection", c.g.opts.MaxContests))
		return
	}
	if c.g.hub.subscribe(c, contestID) && c.g.opts.Watcher != nil {
		c.g.opts.Watcher.Watch(contestID, c.user)
	}
	top, rank, err := c.g.snapshot(ctx, ct, c.user)
	if err != nil {
		c.g.m.SnapshotErrors.Inc()
		c.g.log.Warn("subscribe: current state unavailable", "contest", contestID, "user", c.user, "err", err)
		c.sendError(contestID, "current state unavailable; live updates follow")
		return
	}
	for _, m := range []struct {
		key string
		msg any
	}{{topKey(contestID), top}, {rankKey(contestID, c.user), rank}} {
		data, err := json.Marshal(m.msg)
		if err == nil {
			c.g.put(c, m.key, data, putUrgent) // the answer: not live, for this player alone
		}
	}
}

// snapshot reads the contest's current window from the read model: the top
// 10 and the user's rank (pos null when not on the board). On a contest with
// divisions it is the board of the user's division (the first, in sorted
// order, that has the user), else the first division.
func (g *Gateway) snapshot(ctx context.Context, ct *contest.Contest, user string) (notifier.TopMsg, notifier.RankMsg, error) {
	ctx, cancel := context.WithTimeout(ctx, g.opts.ReadTimeout)
	defer cancel()
	win, ok := ct.CurrentWindow(g.opts.Now())
	if !ok {
		return notifier.TopMsg{}, notifier.RankMsg{}, fmt.Errorf("gateway: contest %s has no window", ct.ID)
	}
	id := contest.BoardID{Contest: ct.ID, Window: win.Key()}
	var me, above *readmodel.Row
	var err error
	if ct.Leaderboard.Divisions != "" {
		id.Division, me, above, err = g.findDivision(ctx, id, user)
	} else {
		me, above, err = g.opts.Reader.MeAbove(ctx, id, user)
	}
	if err != nil {
		return notifier.TopMsg{}, notifier.RankMsg{}, fmt.Errorf("gateway: me: %w", err)
	}
	rows, total, _, err := g.opts.Reader.Top(ctx, id, 0, notifier.DefaultTopN)
	if err != nil {
		return notifier.TopMsg{}, notifier.RankMsg{}, fmt.Errorf("gateway: top: %w", err)
	}
	window := notifier.WindowString(id.Window)
	top := notifier.TopMsg{Type: notifier.TypeTop, Contest: ct.ID, Window: window, Division: id.Division,
		Total: int(total), Top: make([]notifier.TopRow, len(rows))}
	for i, r := range rows {
		top.Top[i] = notifier.TopRow{Pos: r.Pos, User: g.opts.Pseudonym.Apply(r.User), Score: r.Score}
	}
	rank := notifier.RankMsg{Type: notifier.TypeRank, Contest: ct.ID, Window: window, Division: id.Division,
		User: user, Total: int(total)}
	if me != nil {
		pos := me.Pos
		rank.Pos, rank.Score = &pos, me.Score
		if above != nil {
			gap := above.Score - me.Score
			if gap < 0 {
				gap = -gap
			}
			rank.GapToNext = &gap
		}
	}
	return top, rank, nil
}

func (g *Gateway) findDivision(ctx context.Context, id contest.BoardID, user string) (string, *readmodel.Row, *readmodel.Row, error) {
	divs, err := g.opts.Reader.Divisions(ctx, id.Contest, id.Window)
	if err != nil {
		return "", nil, nil, err
	}
	for _, d := range divs {
		bid := id
		bid.Division = d
		me, above, err := g.opts.Reader.MeAbove(ctx, bid, user)
		if err != nil {
			return "", nil, nil, err
		}
		if me != nil {
			return d, me, above, nil
		}
	}
	if len(divs) > 0 {
		return divs[0], nil, nil, nil
	}
	return "", nil, nil, nil
}
