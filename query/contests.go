package query

import (
	"net/http"
	"path"
	"sort"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/httpjson"
)

type windowJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type contestJSON struct {
	ID      string      `json:"id"`
	Title   string      `json:"title"`
	Version int         `json:"version"`
	Status  string      `json:"status"`
	Window  *windowJSON `json:"window"`
}

// scopeMatch reports whether value passes a scope list: an empty list, or no
// value asked for, matches; entries may be globs (path.Match syntax).
func scopeMatch(list []string, value string) bool {
	if len(list) == 0 || value == "" {
		return true
	}
	for _, p := range list {
		if p == value {
			return true
		}
		if ok, err := path.Match(p, value); ok && err == nil {
			return true
		}
	}
	return false
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// contests answers GET /v1/contests?market=…&brand=…: every contest whose
// scope admits the market and brand, with its current (or last, or next)
// window, sorted by id.
func (h *Handler) contests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	market, brand := q.Get("market"), q.Get("brand")
	now := h.opts.Now()
	out := []contestJSON{}
	for _, c := range h.opts.Contests() {
		if c == nil || !scopeMatch(c.Scope.Markets, market) || !scopeMatch(c.Scope.Brands, brand) {
			continue
		}
		cj := contestJSON{ID: c.ID, Title: c.Title, Version: c.Version}
		if win, ok := c.CurrentWindow(now); ok {
			cj.Status = h.status(c, win, now)
			cj.Window = &windowJSON{Start: formatTime(win.Start), End: formatTime(win.End)}
		} else if h.opts.Frozen != nil && h.opts.Frozen(c.ID) {
			cj.Status = contest.StatusFrozen
		} else {
			// A schedule that never fires: no window, nothing to come.
			cj.Status = contest.StatusFinal
		}
		out = append(out, cj)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	httpjson.Write(w, http.StatusOK, out)
}
