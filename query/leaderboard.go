package query

import (
	"context"
	"net/http"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/httpjson"
	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/readmodel"
)

type rowJSON struct {
	Pos   int    `json:"pos"`
	User  string `json:"user"`
	Score int64  `json:"score"`
}

type meJSON struct {
	Pos       int    `json:"pos"`
	Score     int64  `json:"score"`
	GapToNext *int64 `json:"gap_to_next"`
}

// boardJSON is the body of CONTRACT.md §4.
type boardJSON struct {
	Contest    string    `json:"contest"`
	Window     string    `json:"window"`
	Status     string    `json:"status"`
	Total      int64     `json:"total"`
	UpdatedAt  *string   `json:"updated_at"`
	Top        []rowJSON `json:"top"`
	Me         *meJSON   `json:"me"`
	Around     []rowJSON `json:"around"`
	NextCursor *string   `json:"next_cursor"`
}

// rowsJSON lists rows, user ids through ps except self's.
func rowsJSON(rows []readmodel.Row, ps pseudonym.Func, self string) []rowJSON {
	out := make([]rowJSON, len(rows))
	for i, r := range rows {
		u := r.User
		if u != self {
			u = ps.Apply(u)
		}
		out[i] = rowJSON{Pos: r.Pos, User: u, Score: r.Score}
	}
	return out
}

// meRead is a user's standing read from the board.
type meRead struct {
	me, above *readmodel.Row
}

// leaderboard answers GET /v1/leaderboards/{contest}.
func (h *Handler) leaderboard(w http.ResponseWriter, r *http.Request) {
	c := h.findContest(r.PathValue("contest"))
	if c == nil {
		httpjson.Error(w, http.StatusNotFound, "unknown contest")
		return
	}
	p, err := parseBoardParams(r.URL.Query())
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	now := h.opts.Now()
	win, ok := pickWindow(w, c, p, now)
	if !ok {
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	id := contest.BoardID{Contest: c.ID, Window: win.Key()}
	switch {
	case c.Leaderboard.Divisions == "":
		if p.hasDivision && p.division != "" {
			httpjson.Error(w, http.StatusBadRequest, "contest "+c.ID+" has no divisions")
			return
		}
	case p.hasDivision:
		id.Division = p.division
	default:
		// A user may be on several division boards (each counted event
		// goes to its own division's), so the division is never guessed.
		divs, err := h.opts.Reader.Divisions(ctx, id.Contest, id.Window)
		if err != nil {
			h.readFailed(w, r, endpointLeaderboard, err)
			return
		}
		httpjson.Write(w, http.StatusBadRequest, divisionBody{Error: "division required", Divisions: nonNil(divs)})
		return
	}

	rows, total, meta, err := h.opts.Reader.Top(ctx, id, p.offset, p.top)
	if err != nil {
		h.readFailed(w, r, endpointLeaderboard, err)
		return
	}
	out := boardJSON{
		Contest: c.ID,
		Window:  formatTime(win.Start),
		Status:  h.status(c, win, now),
		Total:   total,
		Top:     rowsJSON(rows, h.opts.Pseudonym, p.me),
		Around:  []rowJSON{},
	}
	if !meta.UpdatedAt.IsZero() {
		s := meta.UpdatedAt.UTC().Format(time.RFC3339Nano)
		out.UpdatedAt = &s
	}
	if next := p.offset + len(rows); len(rows) > 0 && int64(next) < total {
		s := EncodeCursor(next)
		out.NextCursor = &s
	}
	if err := h.addMe(ctx, id, p, &out); err != nil {
		h.readFailed(w, r, endpointLeaderboard, err)
		return
	}
	httpjson.Write(w, http.StatusOK, out)
}

// pickWindow is the window asked for (window=) or the current one; it
// answers 400 or 404 and returns false when there is none.
func pickWindow(w http.ResponseWriter, c *contest.Contest, p boardParams, now time.Time) (contest.Window, bool) {
	if p.window != nil {
		win, ok := c.WindowAt(*p.window)
		if !ok {
			httpjson.Error(w, http.StatusBadRequest, "window "+p.window.UTC().Format(time.RFC3339)+" is not a window of contest "+c.ID)
		}
		return win, ok
	}
	win, ok := c.CurrentWindow(now)
	if !ok {
		httpjson.Error(w, http.StatusNotFound, "contest "+c.ID+" has no window")
	}
	return win, ok
}

// addMe fills "me" and "around" of out for p.me (nothing without me=, or
// when the user is not on the board).
func (h *Handler) addMe(ctx context.Context, id contest.BoardID, p boardParams, out *boardJSON) error {
	if p.me == "" {
		return nil
	}
	me, above, err := h.opts.Reader.MeAbove(ctx, id, p.me)
	if err != nil || me == nil {
		return err
	}
	out.Me = meOf(&meRead{me: me, above: above})
	if p.around > 0 {
		near, err := h.opts.Reader.Around(ctx, id, me.Pos, p.around)
		if err != nil {
			return err
		}
		out.Around = rowsJSON(near, h.opts.Pseudonym, p.me)
	}
	return nil
}

// meOf builds "me": gap_to_next is the score difference to the position
// above (0 when level), null at position 1.
func meOf(m *meRead) *meJSON {
	out := &meJSON{Pos: m.me.Pos, Score: m.me.Score}
	if m.me.Pos > 1 && m.above != nil {
		gap := contest.Gap(m.above.Score, m.me.Score)
		out.GapToNext = &gap
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
