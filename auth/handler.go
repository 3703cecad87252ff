package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/httpjson"
)

// Password length limits (bytes) of a login request; a new password must
// also pass the registration policy (policy.go: MinNewPassword and more).
const (
	MinPassword = 1
	MaxPassword = 1024
)

// maxBody bounds a register/login request body.
const maxBody = 8 << 10

// Options of the account endpoints.
type Options struct {
	// DB holds the users table (required). The schema is created on first use.
	DB *pgxpool.Pool
	// Tokens issues the login tokens (required, with a secret).
	Tokens *Tokens
	// Hash are the argon2id parameters of new hashes (default DefaultHashParams).
	Hash HashParams
	// Timeout bounds the database work of one request (default 5s).
	Timeout time.Duration
	// LockAfter wrong passwords in a row lock a login (default 5), for 1s
	// doubling up to LockMax (default 15m); see lockout.go.
	LockAfter int
	LockMax   time.Duration
	// Now is the clock of the lockout (default time.Now).
	Now func() time.Time
}

// Handler serves POST /v1/auth/register, POST /v1/auth/login and GET
// /v1/auth/me. It is safe
// for concurrent use.
type Handler struct {
	opts  Options
	st    *store
	log   *slog.Logger
	m     *Metrics
	slots chan struct{} // bounds concurrent argon2 computations (memory)
	dummy string        // hash checked for unknown logins, so timing tells nothing
	lock  *lockout
}

// New checks opts, fills defaults and registers the metrics on reg (nil: not
// registered).
func New(opts Options, logger *slog.Logger, reg prometheus.Registerer) (*Handler, error) {
	if opts.DB == nil {
		return nil, fmt.Errorf("%w: DB is required", ErrOptions)
	}
	if opts.Tokens == nil || len(opts.Tokens.o.Secret) == 0 {
		return nil, fmt.Errorf("%w: Tokens with a secret are required", ErrOptions)
	}
	if opts.Hash == (HashParams{}) {
		opts.Hash = DefaultHashParams
	}
	if opts.Hash.MemoryKiB < 8 || opts.Hash.Time < 1 || opts.Hash.Threads < 1 {
		return nil, fmt.Errorf("%w: hash parameters %+v", ErrOptions, opts.Hash)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if logger == nil {
		logger = slog.Default()
	}
	if opts.LockAfter <= 0 {
		opts.LockAfter = DefaultLockAfter
	}
	if opts.LockMax <= 0 {
		opts.LockMax = DefaultLockMax
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword("not a password", opts.Hash)
	if err != nil {
		return nil, err
	}
	return &Handler{opts: opts, st: &store{db: opts.DB}, log: logger.With("component", "auth"), m: m,
		slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0)), dummy: dummy,
		lock: newLockout(opts.LockAfter, opts.LockMax, opts.Now)}, nil
}

// Mount adds the account endpoints to mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/auth/register", h.register)
	mux.HandleFunc("POST /v1/auth/login", h.login)
	mux.Handle("GET /v1/auth/me", h.opts.Tokens.RequirePlayer(http.HandlerFunc(me)))
}

// me answers GET /v1/auth/me: who the token says the caller is (the live page
// checks its stored token with it).
func me(w http.ResponseWriter, r *http.Request) {
	c, _ := ClaimsFrom(r.Context())
	httpjson.Write(w, http.StatusOK, map[string]string{"user_id": c.UserID, "expires_at": c.ExpiresAt.UTC().Format(time.RFC3339)})
}

type credentials struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type loginBody struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	UserID    string `json:"user_id"`
}

// readCredentials decodes and checks the body; it answers the error itself.
func (h *Handler) readCredentials(w http.ResponseWriter, r *http.Request) (credentials, bool) {
	var c credentials
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	if err := dec.Decode(&c); err != nil {
		WriteError(w, http.StatusBadRequest, "body must be {\"login\",\"password\"}")
		return c, false
	}
	if !ValidUserID(c.Login) {
		WriteError(w, http.StatusBadRequest, "login must be 1..64 characters of [A-Za-z0-9_-]")
		return c, false
	}
	if len(c.Password) < MinPassword || len(c.Password) > MaxPassword {
		WriteError(w, http.StatusBadRequest, fmt.Sprintf("password must be %d..%d bytes", MinPassword, MaxPassword))
		return c, false
	}
	return c, true
}

// withSlot runs fn holding one of the argon2 slots.
func (h *Handler) withSlot(ctx context.Context, fn func()) error {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-h.slots }()
	t0 := time.Now()
	fn()
	h.m.HashSeconds.Observe(time.Since(t0).Seconds())
	return nil
}

// register answers POST /v1/auth/register: 201 {"user_id"}, 409 when taken.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	c, ok := h.readCredentials(w, r)
	if !ok {
		h.m.Requests.WithLabelValues("register", "invalid").Inc()
		return
	}
	if err := CheckNewPassword(c.Login, c.Password); err != nil {
		h.m.Requests.WithLabelValues("register", "weak").Inc()
		WriteError(w, http.StatusBadRequest, "password refused: "+strings.TrimPrefix(err.Error(), ErrWeakPassword.Error()+": "))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	var hash string
	var herr error
	if err := h.withSlot(ctx, func() { hash, herr = HashPassword(c.Password, h.opts.Hash) }); err != nil || herr != nil {
		h.unavailable(w, "register", errors.Join(err, herr))
		return
	}
	switch err := h.st.create(ctx, c.Login, hash); {
	case errors.Is(err, ErrLoginTaken):
		h.m.Requests.WithLabelValues("register", "taken").Inc()
		WriteError(w, http.StatusConflict, "login taken")
	case err != nil:
		h.unavailable(w, "register", err)
	default:
		h.m.Requests.WithLabelValues("register", "ok").Inc()
		h.log.Info("user registered", "user", c.Login)
		httpjson.Write(w, http.StatusCreated, map[string]string{"user_id": c.Login})
	}
}

// login answers POST /v1/auth/login: 200 {"token","expires_at","user_id"},
// 401 for an unknown login or a wrong password (the same answer for both).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	c, ok := h.readCredentials(w, r)
	if !ok {
		h.m.Requests.WithLabelValues("login", "invalid").Inc()
		return
	}
	if h.refuseLocked(w, c.Login) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	hash, err := h.st.hash(ctx, c.Login)
	known := err == nil
	if err != nil && !errors.Is(err, ErrUnknownUser) {
		h.unavailable(w, "login", err)
		return
	}
	if !known {
		hash = h.dummy
	}
	var match bool
	var cerr error
	if err := h.withSlot(ctx, func() { match, cerr = CheckPassword(c.Password, hash) }); err != nil || cerr != nil {
		h.unavailable(w, "login", errors.Join(err, cerr))
		return
	}
	if !known || !match {
		h.wrongPassword(w, c.Login)
		return
	}
	h.lock.ok(c.Login)
	tok, exp, err := h.opts.Tokens.Issue(c.Login)
	if err != nil {
		h.unavailable(w, "login", err)
		return
	}
	h.m.Requests.WithLabelValues("login", "ok").Inc()
	httpjson.Write(w, http.StatusOK, loginBody{Token: tok, ExpiresAt: exp.UTC().Format(time.RFC3339), UserID: c.Login})
}

func (h *Handler) unavailable(w http.ResponseWriter, endpoint string, err error) {
	h.m.Requests.WithLabelValues(endpoint, "error").Inc()
	h.log.Error("account request failed", "endpoint", endpoint, "err", err)
	WriteError(w, http.StatusServiceUnavailable, "accounts unavailable")
}
