package admin

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/httpjson"
	"github.com/rankstream/rankstream/snapshotter"
)

// Finalizer writes the final snapshots of a contest window (the snapshotter).
type Finalizer interface {
	FinalizeWindow(ctx context.Context, contestID string, window int64) ([]snapshotter.Header, error)
}

// Options configure the admin API.
type Options struct {
	Token string // required: requests must carry "Authorization: Bearer <Token>"
	Store *Store
	Rules *contest.Registry
	// Finalizer, when nil, makes finalize answer 503 (no aggregator here).
	Finalizer Finalizer
	Now       func() time.Time
	MaxBody   int64 // default 1 MiB
	// Validate, when set, checks a parsed contest further (the rewards
	// block); its contest.LintErrors are answered like the parser's.
	Validate func(*contest.Contest) error
	// OnAction, when set, is called after a freeze, unfreeze or finalize is
	// recorded, so the other processes put it in force at once.
	OnAction func(Action)
}

// Handler serves /v1/admin/….
type Handler struct {
	opts Options
	log  *slog.Logger
	m    *prometheus.CounterVec
	mu   sync.Mutex // one contest change at a time
}

// New validates opts and registers the metrics on reg (nil: not registered).
func New(opts Options, logger *slog.Logger, reg prometheus.Registerer) (*Handler, error) {
	if opts.Store == nil || opts.Rules == nil {
		return nil, errors.New("admin: needs Store and Rules")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if logger == nil {
		logger = slog.Default()
	}
	m := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_admin_requests_total",
		Help: "Admin API requests by endpoint and status code."}, []string{"endpoint", "code"})
	if reg != nil {
		reg.MustRegister(m)
	}
	return &Handler{opts: opts, log: logger.With("component", "admin"), m: m}, nil
}

// Register adds the admin routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("PUT /v1/admin/contests/{id}", h.guard("put", h.put))
	mux.HandleFunc("GET /v1/admin/contests/{id}/versions", h.guard("versions", h.versions))
	mux.HandleFunc("GET /v1/admin/contests/{id}/versions/{n}", h.guard("version", h.version))
	mux.HandleFunc("POST /v1/admin/contests/{id}/freeze", h.guard("freeze", h.freeze(true)))
	mux.HandleFunc("POST /v1/admin/contests/{id}/unfreeze", h.guard("unfreeze", h.freeze(false)))
	mux.HandleFunc("POST /v1/admin/contests/{id}/finalize", h.guard("finalize", h.finalize))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// guard checks the admin token and counts the request.
func (h *Handler) guard(endpoint string, fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		defer func() { h.m.WithLabelValues(endpoint, strconv.Itoa(sw.code)).Inc() }()
		if !h.authorized(r) {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="rankstream-admin"`)
			httpjson.Write(sw, http.StatusUnauthorized, map[string]any{"error": "admin token required"})
			return
		}
		fn(sw, r)
	}
}

func (h *Handler) authorized(r *http.Request) bool {
	if h.opts.Token == "" {
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(h.opts.Token)) == 1
}

func errJSON(w http.ResponseWriter, code int, format string, args ...any) {
	httpjson.Error(w, code, fmt.Sprintf(format, args...))
}

// put stores a new version of a contest and puts it in force.
func (h *Handler) put(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			errJSON(w, http.StatusRequestEntityTooLarge, "body larger than %d bytes", h.opts.MaxBody)
			return
		}
		errJSON(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	c, err := contest.Parse(id+".yml", body)
	if err == nil && h.opts.Validate != nil {
		err = h.opts.Validate(c)
	}
	if err != nil {
		var le contest.LintErrors
		if errors.As(err, &le) {
			msgs := make([]string, len(le))
			for i, e := range le {
				msgs[i] = e.Error()
			}
			httpjson.Write(w, http.StatusBadRequest, map[string]any{"error": "invalid contest", "errors": msgs})
			return
		}
		errJSON(w, http.StatusBadRequest, "invalid contest: %v", err)
		return
	}
	if c.ID != id {
		httpjson.Write(w, http.StatusBadRequest, map[string]any{"error": "invalid contest",
			"errors": []string{fmt.Sprintf("id: %q in the body differs from %q in the path", c.ID, id)}})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v, created, err := h.opts.Store.Put(r.Context(), id, SourceAPI, body)
	if err != nil {
		h.log.Error("store contest version", "contest", id, "err", err)
		errJSON(w, http.StatusServiceUnavailable, "store version: %v", err)
		return
	}
	c.Version = v.Version
	h.setContest(c)
	code := http.StatusOK
	if created {
		code = http.StatusCreated
		h.log.Info("contest version in force", "contest", id, "version", v.Version)
	}
	httpjson.Write(w, code, map[string]any{"id": id, "version": v.Version, "title": c.Title, "created": created,
		"sha256": v.SHA256, "created_at": v.CreatedAt})
}

// setContest replaces (or adds) c in the rules in force.
func (h *Handler) setContest(c *contest.Contest) {
	cur := h.opts.Rules.All()
	next := make([]*contest.Contest, 0, len(cur)+1)
	for _, x := range cur {
		if x.ID != c.ID {
			next = append(next, x)
		}
	}
	h.opts.Rules.Set(append(next, c))
}

func (h *Handler) versions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	vs, err := h.opts.Store.Versions(r.Context(), id)
	if err != nil {
		errJSON(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	if len(vs) == 0 {
		errJSON(w, http.StatusNotFound, "no contest %q", id)
		return
	}
	live := 0
	if c := h.opts.Rules.Get(id); c != nil {
		live = c.Version
	}
	out := make([]map[string]any, len(vs))
	for i, v := range vs {
		out[i] = map[string]any{"id": id, "version": v.Version, "source": v.Source, "sha256": v.SHA256,
			"created_at": v.CreatedAt, "live": v.Version == live}
	}
	httpjson.Write(w, http.StatusOK, out)
}

func (h *Handler) version(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		errJSON(w, http.StatusBadRequest, "version must be a positive integer")
		return
	}
	v, err := h.opts.Store.Version(r.Context(), id, n)
	switch {
	case errors.Is(err, ErrNotFound):
		errJSON(w, http.StatusNotFound, "no version %d of contest %q", n, id)
		return
	case err != nil:
		errJSON(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	live := false
	if c := h.opts.Rules.Get(id); c != nil {
		live = c.Version == v.Version
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"id": id, "version": v.Version, "source": v.Source,
		"sha256": v.SHA256, "created_at": v.CreatedAt, "live": live, "body": string(v.Body)})
}

// freeze records a freeze (or unfreeze) effective for events arriving from
// now on, and puts it in force.
func (h *Handler) freeze(frozen bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if h.opts.Rules.Get(id) == nil {
			errJSON(w, http.StatusNotFound, "no contest %q in force", id)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		a := Action{Contest: id, Action: ActionUnfreeze, EffectiveAt: h.opts.Now().UTC().Truncate(time.Microsecond)}
		if frozen {
			a.Action = ActionFreeze
		}
		// In force first, so that no event arriving after EffectiveAt is
		// scored before the scorer knows; recorded next, for replay.
		Apply(h.opts.Rules, a)
		if _, err := h.opts.Store.Record(r.Context(), a); err != nil {
			h.opts.Rules.Freeze(id, !frozen, h.opts.Now())
			h.log.Error("record action", "contest", id, "action", a.Action, "err", err)
			errJSON(w, http.StatusServiceUnavailable, "record %s: %v", a.Action, err)
			return
		}
		h.log.Info("contest "+a.Action, "contest", id, "effective_at", a.EffectiveAt)
		h.announce(a)
		httpjson.Write(w, http.StatusOK, map[string]any{"id": id, "frozen": frozen, "effective_at": a.EffectiveAt})
	}
}

// finalize closes the contest's current window now and writes its final
// snapshots.
func (h *Handler) finalize(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c := h.opts.Rules.Get(id)
	if c == nil {
		errJSON(w, http.StatusNotFound, "no contest %q in force", id)
		return
	}
	if h.opts.Finalizer == nil {
		errJSON(w, http.StatusServiceUnavailable, "no snapshotter in this process (run the aggregator and snapshotter stages)")
		return
	}
	now := h.opts.Now().UTC().Truncate(time.Microsecond)
	win, ok := c.CurrentWindow(now)
	if !ok || now.Before(win.Start) {
		errJSON(w, http.StatusConflict, "contest %q has no window under way", id)
		return
	}
	h.mu.Lock()
	closeAt := now
	if end := win.End.Add(c.Lateness); end.Before(closeAt) {
		closeAt = end // already final: nothing left to close
	}
	start := win.Start.UTC()
	a := Action{Contest: id, Action: ActionFinalize, WindowStart: &start, EffectiveAt: closeAt}
	Apply(h.opts.Rules, a)
	_, err := h.opts.Store.Record(r.Context(), a)
	h.mu.Unlock()
	if err != nil {
		h.log.Error("record finalize", "contest", id, "err", err)
		errJSON(w, http.StatusServiceUnavailable, "record finalize: %v", err)
		return
	}
	h.announce(a)
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	hs, err := h.opts.Finalizer.FinalizeWindow(ctx, id, win.Key())
	if err != nil {
		h.log.Error("final snapshots", "contest", id, "err", err)
		errJSON(w, http.StatusServiceUnavailable, "window closed at %s but final snapshots failed (retried automatically): %v",
			closeAt.Format(time.RFC3339Nano), err)
		return
	}
	snaps := make([]map[string]any, len(hs))
	for i, s := range hs {
		snaps[i] = map[string]any{"id": s.ID, "division": s.Board.Division, "entries": s.Entries,
			"events_seq": s.EventsSeq, "rule_version": s.RuleVersion, "hash": hex.EncodeToString(s.Hash[:])}
	}
	h.log.Info("window finalized", "contest", id, "window", start, "closed_at", closeAt, "snapshots", len(hs))
	httpjson.Write(w, http.StatusOK, map[string]any{"id": id, "status": contest.StatusFinal, "closed_at": closeAt,
		"window":    map[string]string{"start": start.Format(time.RFC3339), "end": win.End.UTC().Format(time.RFC3339)},
		"snapshots": snaps})
}

// announce tells Options.OnAction about a recorded action.
func (h *Handler) announce(a Action) {
	if h.opts.OnAction != nil {
		h.opts.OnAction(a)
	}
}
