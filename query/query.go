// Package query serves the read API of CONTRACT.md §4 — the contest list and
// the leaderboards — from the Redis read model only. It never touches the
// streams or the rankers: what it answers is what the rankers last wrote.
package query

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/readmodel"
)

// Limits of the leaderboard parameters.
const (
	DefaultTop = 100
	MaxTop     = 1000
	// MaxAround bounds around=K (2K+1 rows).
	MaxAround = 500
)

// DefaultTimeout bounds the Redis reads of one request.
const DefaultTimeout = 2 * time.Second

// ErrOptions is returned by New for unusable Options.
var ErrOptions = errors.New("query: invalid options")

// Options of the query API.
type Options struct {
	// Reader reads the boards (required).
	Reader *readmodel.Reader
	// Contests returns the current version of every contest (required). It is
	// called on every request, so contest changes show at once.
	Contests func() []*contest.Contest
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Frozen reports a contest frozen by operators (nil: none is).
	Frozen func(contestID string) bool
	// ClosedAt reports when an operator finalized a window (its start in
	// Unix seconds) of a contest (nil: none was), e.g. Rules.ClosedAt.
	ClosedAt func(contestID string, window int64) (time.Time, bool)
	// Timeout bounds the Redis reads of one request (default DefaultTimeout).
	Timeout time.Duration
	// Pseudonym, when set, replaces the user ids of top and around (all
	// but the asking user's own row) (config privacy.pseudonym_key).
	Pseudonym pseudonym.Func
}

// Handler serves the query endpoints. It is safe for concurrent use.
type Handler struct {
	opts Options
	log  *slog.Logger
	m    *Metrics
}

// New checks opts, fills defaults and registers the metrics on reg (nil: not
// registered).
func New(opts Options, logger *slog.Logger, reg prometheus.Registerer) (*Handler, error) {
	if opts.Reader == nil {
		return nil, fmt.Errorf("%w: Reader is required", ErrOptions)
	}
	if opts.Contests == nil {
		return nil, fmt.Errorf("%w: Contests is required", ErrOptions)
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative Timeout %s", ErrOptions, opts.Timeout)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if logger == nil {
		logger = slog.Default()
	}
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Handler{opts: opts, log: logger.With("component", "query"), m: m}, nil
}

// Register adds GET /v1/contests and GET /v1/leaderboards/{contest} to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/contests", h.instrument(endpointContests, h.contests))
	mux.HandleFunc("GET /v1/leaderboards/{contest}", h.instrument(endpointLeaderboard, h.leaderboard))
}

// status is the status of window w (CONTRACT.md §4): final as soon as an
// operator finalized it or its times say so; else frozen when operators froze
// the contest; else what the window's times say.
func (h *Handler) status(c *contest.Contest, w contest.Window, now time.Time) string {
	if h.opts.ClosedAt != nil {
		if at, ok := h.opts.ClosedAt(c.ID, w.Key()); ok && !now.Before(at) {
			return contest.StatusFinal
		}
	}
	s := c.StatusAt(w, now)
	if s != contest.StatusFinal && h.opts.Frozen != nil && h.opts.Frozen(c.ID) {
		return contest.StatusFrozen
	}
	return s
}

func (h *Handler) findContest(id string) *contest.Contest {
	for _, c := range h.opts.Contests() {
		if c != nil && c.ID == id {
			return c
		}
	}
	return nil
}
