package query

import (
	"context"
	"net/http"
	"time"

	"github.com/rankstream/rankstream/contest"
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
		writeError(w, http.StatusNotFound, "unknown contest")
		return
	}
	p, err := parseBoardParams(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := h.opts.Now()
	var win contest.Window
	if p.window != nil {
		var ok bool
		if win, ok = c.WindowAt(*p.window); !ok {
			writeError(w, http.StatusBadRequest, "window "+p.window.UTC().Format(time.RFC3339)+" is not a window of contest "+c.ID)
			return
		}
	} else {
		var ok bool
		if win, ok = c.CurrentWindow(now); !ok {
			writeError(w, http.StatusNotFound, "contest "+c.ID+" has no window")
			return
		}
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	id := contest.BoardID{Contest: c.ID, Window: win.Key()}
	var mine *meRead
	switch {
	case c.Leaderboard.Divisions == "":
		if p.hasDivision && p.division != "" {
			writeError(w, http.StatusBadRequest, "contest "+c.ID+" has no divisions")
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
		writeJSON(w, http.StatusBadRequest, divisionBody{Error: "division required", Divisions: nonNil(divs)})
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
	if p.me != "" {
		if mine == nil {
			me, above, err := h.opts.Reader.MeAbove(ctx, id, p.me)
			if err != nil {
				h.readFailed(w, r, endpointLeaderboard, err)
				return
			}
			mine = &meRead{me: me, above: above}
		}
		if mine.me != nil {
			out.Me = meOf(mine)
			if p.around > 0 {
				near, err := h.opts.Reader.Around(ctx, id, mine.me.Pos, p.around)
				if err != nil {
					h.readFailed(w, r, endpointLeaderboard, err)
					return
				}
				out.Around = rowsJSON(near, h.opts.Pseudonym, p.me)
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
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
