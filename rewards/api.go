package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/httpjson"
)

// APIOptions configure the rewards API.
type APIOptions struct {
	Store *Store
	// Tokens verifies player tokens (claims, the player's list).
	Tokens *auth.Tokens
	// AdminToken guards the admin endpoints (holds, payout tables).
	AdminToken string
	Metrics    *Metrics
	// Contest returns the contest in force by id (nil: unknown), for the
	// prizes endpoint; optional.
	Contest func(id string) *contest.Contest
}

// API serves the rewards endpoints of CONTRACT.md §7.
type API struct {
	o   APIOptions
	log *slog.Logger
}

// NewAPI validates opts and returns the API.
func NewAPI(o APIOptions, logger *slog.Logger) (*API, error) {
	if o.Store == nil || o.Tokens == nil {
		return nil, errors.New("rewards: api needs Store and Tokens")
	}
	if o.Metrics == nil {
		o.Metrics, _ = NewMetrics(nil)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &API{o: o, log: logger.With("component", "rewards")}, nil
}

// Register adds the endpoints to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/rewards/claim", a.claim)
	mux.Handle("GET /v1/rewards", a.o.Tokens.RequirePlayer(http.HandlerFunc(a.list)))
	mux.HandleFunc("GET /v1/rewards/draws/{contest}", a.draws)
	mux.HandleFunc("GET /v1/rewards/prizes/{contest}", a.prizes)
	mux.Handle("PUT /v1/admin/holds/{user_id}", auth.RequireAdmin(a.o.AdminToken, http.HandlerFunc(a.putHold)))
	mux.Handle("DELETE /v1/admin/holds/{user_id}", auth.RequireAdmin(a.o.AdminToken, http.HandlerFunc(a.deleteHold)))
	mux.Handle("GET /v1/admin/rewards/{contest}", auth.RequireAdmin(a.o.AdminToken, http.HandlerFunc(a.table)))
	a.registerFlags(mux)
}

// ClaimAnswer is the body of a successful claim.
type ClaimAnswer struct {
	Status      string `json:"status"`
	RewardID    string `json:"reward_id"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

func (a *API) claim(w http.ResponseWriter, r *http.Request) {
	result := "error"
	defer func() { a.o.Metrics.Claims.WithLabelValues(result).Inc() }()
	c, err := a.o.Tokens.Authenticate(r)
	if err != nil {
		result = "unauthorized"
		auth.WriteError(w, http.StatusUnauthorized, auth.RefusalMessage(err))
		return
	}
	var req ClaimRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		result = "bad_request"
		auth.WriteError(w, http.StatusBadRequest, "body must be a JSON object {context, id, window, step}")
		return
	}
	rw, isNew, err := a.o.Store.Claim(r.Context(), c.UserID, req)
	switch {
	case errors.Is(err, ErrNotFound):
		result = "not_found"
		auth.WriteError(w, http.StatusNotFound, "nothing to claim")
	case errors.Is(err, ErrExpired):
		result = "expired"
		auth.WriteError(w, http.StatusGone, "the claim window has passed")
	case errors.Is(err, ErrHeld):
		result = "held"
		auth.WriteError(w, http.StatusLocked, "rewards on hold")
	case err != nil:
		a.log.Error("claim", "user", c.UserID, "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "claim failed; try again")
	default:
		code := http.StatusOK
		result = "repeated"
		if isNew {
			code, result = http.StatusCreated, "granted"
			a.o.Metrics.Granted.Inc()
		}
		httpjson.Write(w, code, ClaimAnswer{Status: StatusGranted, RewardID: rw.RewardID, AmountMinor: rw.AmountMinor, Currency: rw.Currency})
	}
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	c, _ := auth.ClaimsFrom(r.Context())
	rs, err := a.o.Store.UserRewards(r.Context(), c.UserID)
	if err != nil {
		a.log.Error("list rewards", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "cannot read rewards")
		return
	}
	if rs == nil {
		rs = []Reward{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"user_id": c.UserID, "rewards": rs})
}

// boardOf resolves ?window=&division= of a contest to a computed board:
// window defaults to the last one with payouts.
func (a *API) boardOf(ctx context.Context, w http.ResponseWriter, r *http.Request) (BoardRecord, bool) {
	id, div := r.PathValue("contest"), r.URL.Query().Get("division")
	var (
		win time.Time
		err error
	)
	if ws := r.URL.Query().Get("window"); ws != "" {
		win, err = parseWindow(ws)
		if err != nil {
			auth.WriteError(w, http.StatusBadRequest, "window must be an RFC 3339 time or unix seconds")
			return BoardRecord{}, false
		}
	} else if win, err = a.o.Store.LastWindow(ctx, id, div); err != nil && !errors.Is(err, ErrNotFound) {
		auth.WriteError(w, http.StatusInternalServerError, "cannot read payouts")
		return BoardRecord{}, false
	}
	rec, err := a.o.Store.Board(ctx, id, win, div)
	switch {
	case errors.Is(err, ErrNotFound):
		auth.WriteError(w, http.StatusNotFound, "no payouts computed for this board")
		return BoardRecord{}, false
	case err != nil:
		a.log.Error("board", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "cannot read payouts")
		return BoardRecord{}, false
	}
	return rec, true
}

func parseWindow(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339, s)
}

func (a *API) draws(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.boardOf(r.Context(), w, r)
	if !ok {
		return
	}
	if rec.Distribution != Tickets {
		auth.WriteError(w, http.StatusNotFound, "this board has no tickets draw (distribution "+rec.Distribution+")")
		return
	}
	hash, err := a.o.Store.StandingsHash(r.Context(), rec.SnapshotID)
	if err != nil {
		auth.WriteError(w, http.StatusInternalServerError, "cannot read the snapshot")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"contest": rec.Contest, "window": WindowString(rec.Window),
		"division": rec.Division, "snapshot_id": rec.SnapshotID, "standings_hash": hash, "draw": rec.Draw})
}

func (a *API) table(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.boardOf(r.Context(), w, r)
	if !ok {
		return
	}
	rs, err := a.o.Store.BoardRewards(r.Context(), rec.Contest, rec.Window, rec.Division)
	if err != nil {
		auth.WriteError(w, http.StatusInternalServerError, "cannot read payouts")
		return
	}
	if rs == nil {
		rs = []Reward{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"board": rec, "window": WindowString(rec.Window), "rewards": rs})
}

func (a *API) putHold(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user_id")
	var body struct {
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.Reason == "" || !auth.ValidUserID(user) {
		auth.WriteError(w, http.StatusBadRequest, `body must be {"reason": "…"} and the user id valid`)
		return
	}
	if err := a.o.Store.PutHold(r.Context(), user, body.Reason); err != nil {
		a.log.Error("put hold", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "cannot put the hold")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"user_id": user, "reason": body.Reason, "status": "held"})
}

func (a *API) deleteHold(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user_id")
	ok, err := a.o.Store.DeleteHold(r.Context(), user)
	switch {
	case err != nil:
		a.log.Error("delete hold", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "cannot lift the hold")
	case !ok:
		auth.WriteError(w, http.StatusNotFound, "user is not on hold")
	default:
		httpjson.Write(w, http.StatusOK, map[string]string{"user_id": user, "status": "released"})
	}
}
