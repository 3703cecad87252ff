package rewards

import (
	"errors"
	"net/http"
	"time"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/internal/httpjson"
)

// The admin endpoints of the abuse flags (CONTRACT.md §3, docs/flags.md).
func (a *API) registerFlags(mux *http.ServeMux) {
	mux.Handle("GET /v1/admin/flags/{contest}", auth.RequireAdmin(a.o.AdminToken, http.HandlerFunc(a.listFlags)))
	mux.Handle("DELETE /v1/admin/flags/{contest}/{user_id}", auth.RequireAdmin(a.o.AdminToken, http.HandlerFunc(a.clearFlags)))
}

// optWindow reads ?window= (RFC 3339 or unix seconds; absent: zero).
func optWindow(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	ws := r.URL.Query().Get("window")
	if ws == "" {
		return time.Time{}, true
	}
	win, err := parseWindow(ws)
	if err != nil {
		auth.WriteError(w, http.StatusBadRequest, "window must be an RFC 3339 time or unix seconds")
		return time.Time{}, false
	}
	return win.UTC(), true
}

// listFlags answers {"contest","window","flags":[…]}: the flags of the
// window (default: the latest window with flags; null when there is none),
// cleared ones included, each with its evidence.
func (a *API) listFlags(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("contest")
	win, ok := optWindow(w, r)
	if !ok {
		return
	}
	fs, win, err := a.o.Store.Flags(r.Context(), id, win)
	if err != nil {
		a.log.Error("list flags", "contest", id, "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "cannot read flags")
		return
	}
	if fs == nil {
		fs = []Flag{}
	}
	var ws any
	if !win.IsZero() {
		ws = WindowString(win)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"contest": id, "window": ws, "flags": fs})
}

// clearFlags clears a user's flags of a contest (?window= one window,
// default all) and releases the rewards they held: 200 with the flags
// cleared and the number of rewards released, 404 when nothing was
// flagged.
func (a *API) clearFlags(w http.ResponseWriter, r *http.Request) {
	id, user := r.PathValue("contest"), r.PathValue("user_id")
	win, ok := optWindow(w, r)
	if !ok {
		return
	}
	cleared, released, err := a.o.Store.ClearFlags(r.Context(), id, user, win, "admin")
	switch {
	case errors.Is(err, ErrNotFound):
		auth.WriteError(w, http.StatusNotFound, "no uncleared flag of this user in this contest")
		return
	case err != nil:
		a.log.Error("clear flags", "contest", id, "user", user, "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "cannot clear the flags")
		return
	}
	fm := a.o.Metrics.Flags
	for _, f := range cleared {
		fm.Cleared.WithLabelValues(f.Flag).Inc()
	}
	fm.Released.Add(float64(released))
	a.log.Info("abuse flags cleared", "contest", id, "user", user, "flags", len(cleared), "released", released)
	httpjson.Write(w, http.StatusOK, map[string]any{"contest": id, "user_id": user, "cleared": cleared, "released": released})
}
