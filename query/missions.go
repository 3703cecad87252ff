package query

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/httpjson"
)

// ErrNoProgress is what a MissionProgress reader returns for a user without
// progress in a mission window.
var ErrNoProgress = errors.New("query: no mission progress")

// MissionOptions serve the mission endpoints (CONTRACT.md §7); nil
// Missions: they are not registered.
type MissionOptions struct {
	// Missions returns the missions in force.
	Missions func() []*contest.Mission
	// Progress reads the progress document the scorers published for the
	// user's mission window (from the user's value,
	// streams.MissionProgressUserKey) or returns ErrNoProgress.
	Progress func(ctx context.Context, mission string, window int64, user string) ([]byte, error)
	// Claims, when set, tells what became of the user's rewards of the
	// window, so that reward_ready is false once they are claimed
	// (contest.Mission.ReadyWith). Nil: the scorers' reward_ready as is.
	Claims func(ctx context.Context, mission string, window time.Time, user string) (contest.RewardStatus, error)
}

const (
	endpointMissions        = "missions"
	endpointMissionProgress = "mission_progress"
)

type missionJSON struct {
	ID      string      `json:"id"`
	Title   string      `json:"title"`
	Version int         `json:"version"`
	Status  string      `json:"status"`
	Window  *windowJSON `json:"window"`
}

// RegisterMissions adds GET /v1/missions and GET /v1/missions/{id}/progress.
func (h *Handler) RegisterMissions(mux *http.ServeMux, mo MissionOptions) {
	if mo.Missions == nil || mo.Progress == nil {
		return
	}
	mux.HandleFunc("GET /v1/missions", h.instrument(endpointMissions, func(w http.ResponseWriter, r *http.Request) {
		h.missions(w, r, mo)
	}))
	mux.HandleFunc("GET /v1/missions/{id}/progress", h.instrument(endpointMissionProgress, func(w http.ResponseWriter, r *http.Request) {
		h.missionProgress(w, r, mo)
	}))
}

// missions answers GET /v1/missions?market=…&brand=… like GET /v1/contests.
func (h *Handler) missions(w http.ResponseWriter, r *http.Request, mo MissionOptions) {
	q := r.URL.Query()
	market, brand := q.Get("market"), q.Get("brand")
	now := h.opts.Now()
	out := []missionJSON{}
	for _, m := range mo.Missions() {
		b := m.Base
		if !scopeMatch(b.Scope.Markets, market) || !scopeMatch(b.Scope.Brands, brand) {
			continue
		}
		mj := missionJSON{ID: m.ID, Title: m.Title, Version: m.Version, Status: contest.StatusFinal}
		if win, ok := b.CurrentWindow(now); ok {
			mj.Status = b.StatusAt(win, now)
			mj.Window = &windowJSON{Start: formatTime(win.Start), End: formatTime(win.End)}
		}
		out = append(out, mj)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	httpjson.Write(w, http.StatusOK, out)
}

// missionProgress answers GET /v1/missions/{id}/progress?user=…[&window=…].
func (h *Handler) missionProgress(w http.ResponseWriter, r *http.Request, mo MissionOptions) {
	var m *contest.Mission
	for _, x := range mo.Missions() {
		if x.ID == r.PathValue("id") {
			m = x
		}
	}
	if m == nil {
		httpjson.Error(w, http.StatusNotFound, "unknown mission")
		return
	}
	q := r.URL.Query()
	user := q.Get("user")
	if !event.ValidToken(user, 1, event.MaxUserIDLen) {
		httpjson.Error(w, http.StatusBadRequest, "user must be a user id: 1 to 64 characters of [A-Za-z0-9_-]")
		return
	}
	win, code, msg := missionWindow(m, q.Get("window"), h.opts.Now())
	if code != 0 {
		httpjson.Error(w, code, msg)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	data, err := mo.Progress(ctx, m.ID, win.Key(), user)
	switch {
	case errors.Is(err, ErrNoProgress):
		httpjson.Write(w, http.StatusOK, m.EmptyProgressDoc(win))
		return
	case err != nil:
		h.readFailed(w, r, endpointMissionProgress, err)
		return
	}
	var doc contest.MissionProgressDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		h.readFailed(w, r, endpointMissionProgress, err)
		return
	}
	if doc.RewardReady && mo.Claims != nil {
		st, err := mo.Claims(ctx, m.ID, win.Start, user)
		if err != nil {
			h.readFailed(w, r, endpointMissionProgress, err)
			return
		}
		doc.RewardReady = m.ReadyWith(doc, st)
	}
	httpjson.Write(w, http.StatusOK, doc)
}

// missionWindow is the window named by the window parameter (its RFC 3339
// start), or the current (or last, or next) one; code ≠ 0 on an error.
func missionWindow(m *contest.Mission, param string, now time.Time) (contest.Window, int, string) {
	if param == "" {
		win, ok := m.Base.CurrentWindow(now)
		if !ok {
			return win, http.StatusNotFound, "mission " + m.ID + " has no window"
		}
		return win, 0, ""
	}
	t, err := time.Parse(time.RFC3339, param)
	if err != nil {
		return contest.Window{}, http.StatusBadRequest, "window must be the RFC 3339 start of a window, e.g. 2025-10-25T18:00:00Z"
	}
	win, ok := m.Base.WindowAt(t)
	if !ok {
		return win, http.StatusBadRequest, "window " + t.UTC().Format(time.RFC3339) + " is not a window of mission " + m.ID
	}
	return win, 0, ""
}
