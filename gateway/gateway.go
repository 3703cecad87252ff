// Package gateway serves live ranks over WebSocket (CONTRACT.md §5):
// GET /v1/ws with a player JWT (Authorization: Bearer or ?token=; 401
// without a valid one). The client sends {"op":"subscribe","contest":"…"};
// the gateway answers at once with the current state read from the Redis
// read model ({"type":"top",…} and the player's own {"type":"rank",…}), then
// forwards the notifier's messages of lb.<contest>.top and of the player's
// own lb.<contest>.user.<user_id>, byte for byte as published on NATS.
//
// Each connection has its own bounded queue holding only the latest message
// per subject, written by the write pool (pool.go; a slow client's rest by
// its own goroutine), so a slow client loses intermediate states and never
// slows the others.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/auth"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/pseudonym"
	"github.com/rankstream/rankstream/readmodel"
	"github.com/rankstream/rankstream/streams"
)

// Watcher learns which players watch which contest (the notifier), so their
// rank is pushed when others overtake them.
type Watcher interface {
	Watch(contestID, user string)
	Unwatch(contestID, user string)
}

// ErrOptions is returned by New for unusable options.
var ErrOptions = errors.New("gateway: invalid options")

// Options of the gateway.
type Options struct {
	// Tokens verifies the players' JWTs (required).
	Tokens *auth.Tokens
	// Reader reads the current state at subscribe time (required).
	Reader *readmodel.Reader
	// Contests returns the current contests (required).
	Contests func() []*contest.Contest
	// NC receives the live messages (required): the gateway subscribes to
	// lb.*.top and lb.*.user.*.
	NC *nats.Conn
	// Watcher, when set, is told of every subscription.
	Watcher Watcher
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Pseudonym, when set, replaces the user ids of the top sent at
	// subscribe time (the notifier does it for the live ones).
	Pseudonym pseudonym.Func
	// QueueSize bounds the distinct subjects waiting on one connection
	// (default 64).
	QueueSize int
	// MaxContests bounds the subscriptions of one connection (default 16).
	MaxContests int
	// WriteTimeout closes a connection whose write takes longer (default 10s).
	WriteTimeout time.Duration
	// PingInterval between server pings (default 30s).
	PingInterval time.Duration
	// ReadTimeout bounds the subscribe answer's Redis reads (default 2s).
	ReadTimeout time.Duration
	// OriginPatterns authorises cross-origin pages (websocket.AcceptOptions).
	OriginPatterns []string

	// noPool: each connection's goroutine writes its messages (the path
	// before the write pool; tests compare the two).
	noPool bool
}

// Gateway is the WebSocket endpoint. It is safe for concurrent use.
type Gateway struct {
	opts Options
	log  *slog.Logger
	m    *Metrics
	hub  *hub
	// pool writes the connections' messages (nil: each connection's own
	// goroutine does); its workers start with the first connection.
	pool      *writePool
	poolStart sync.Once

	sent map[string]prometheus.Counter // Sent by type, resolved once

	mu      sync.Mutex
	conns   map[*conn]struct{}
	stopped bool            // set under mu by Stop: no wg.Add after it
	ctx     context.Context // ends every connection on Stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New checks opts, fills defaults and registers the metrics on reg (nil: not
// registered).
func New(opts Options, logger *slog.Logger, reg prometheus.Registerer) (*Gateway, error) {
	switch {
	case opts.Tokens == nil:
		return nil, fmt.Errorf("%w: Tokens is required", ErrOptions)
	case opts.Reader == nil:
		return nil, fmt.Errorf("%w: Reader is required", ErrOptions)
	case opts.Contests == nil:
		return nil, fmt.Errorf("%w: Contests is required", ErrOptions)
	case opts.NC == nil:
		return nil, fmt.Errorf("%w: NC is required", ErrOptions)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 64
	}
	if opts.MaxContests <= 0 {
		opts.MaxContests = 16
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 2 * time.Second
	}
	if logger == nil {
		logger = slog.Default()
	}
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	sent := map[string]prometheus.Counter{}
	for _, t := range []string{"top", "rank", "notice", "error", "other"} {
		sent[t] = m.Sent.WithLabelValues(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{opts: opts, log: logger.With("component", "gateway"), m: m, hub: newHub(), sent: sent,
		conns: map[*conn]struct{}{}, ctx: ctx, cancel: cancel}
	if !opts.noPool {
		g.pool = newWritePool()
	}
	return g, nil
}

// Metrics returns the gateway's metrics.
func (g *Gateway) Metrics() *Metrics { return g.m }

// Mount adds GET /v1/ws to mux.
func (g *Gateway) Mount(mux *http.ServeMux) { mux.Handle("GET /v1/ws", g) }

// Run receives the live messages until ctx ends, then closes every
// connection.
func (g *Gateway) Run(ctx context.Context) error {
	defer g.Stop()
	// A notice's key is unique (hub.route): not marked live, so the marks
	// stay bounded by the subjects. A rank or a notice is for one player:
	// urgent (the write pool serves it before the tops' fan-out).
	put := func(c *conn, key string, data []byte, personal bool) {
		var f putFlags
		if !strings.Contains(key, "#") {
			f |= putLive
		}
		if personal {
			f |= putUrgent
		}
		g.put(c, key, data, f)
	}
	var subs []*nats.Subscription
	for _, subj := range []string{streams.LiveTopAll, streams.LiveUserAll, streams.LiveNoticeAll} {
		sub, err := g.opts.NC.Subscribe(subj, func(m *nats.Msg) { g.hub.route(m, put) })
		if err != nil {
			return fmt.Errorf("gateway: subscribe %s: %w", subj, err)
		}
		_ = sub.SetPendingLimits(1<<20, 1<<30)
		subs = append(subs, sub)
	}
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}()
	if err := g.opts.NC.Flush(); err != nil {
		return fmt.Errorf("gateway: flush: %w", err)
	}
	tick := time.NewTicker(min(time.Second, g.opts.WriteTimeout/2))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-g.ctx.Done():
			return nil
		case <-tick.C:
			g.closeStuck()
		}
	}
}

// closeStuck closes the connections whose write has been blocked for
// WriteTimeout (a client that stopped reading with full socket buffers).
func (g *Gateway) closeStuck() {
	limit := time.Now().Add(-g.opts.WriteTimeout).UnixNano()
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		if w := c.writing.Load(); w != 0 && w < limit {
			g.m.WriteErrors.Inc()
			g.log.Info("closing a client that does not read", "user", c.user)
			_ = c.ws.CloseNow()
		}
	}
}

// Stop closes every connection and refuses new ones. Safe to call twice.
func (g *Gateway) Stop() {
	g.cancel()
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	g.wg.Wait()
}

// put queues a message on c and counts what happened.
func (g *Gateway) put(c *conn, key string, data []byte, f putFlags) {
	switch c.q.put(key, data, f) {
	case putReplaced:
		g.m.Replaced.Inc()
	case putDropped:
		g.m.Dropped.Inc()
	}
}

// ServeHTTP upgrades an authenticated request to a WebSocket.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	claims, err := g.opts.Tokens.Authenticate(r)
	if err != nil {
		g.m.Refused.WithLabelValues(refusalReason(err)).Inc()
		auth.WriteError(w, http.StatusUnauthorized, auth.RefusalMessage(err))
		return
	}
	if g.ctx.Err() != nil {
		auth.WriteError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	cw := &corkWriter{ResponseWriter: w}
	ws, err := websocket.Accept(cw, r, &websocket.AcceptOptions{OriginPatterns: g.opts.OriginPatterns})
	if err != nil {
		g.m.Refused.WithLabelValues("upgrade").Inc()
		return // Accept answered the request
	}
	c := newConn(g, ws, claims.UserID, cw.cork) // batched writes (cork.go)
	if g.pool != nil {
		g.poolStart.Do(func() { g.pool.start(g.ctx, runtime.GOMAXPROCS(0)) })
	}
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		_ = ws.Close(websocket.StatusGoingAway, "server stopping")
		return
	}
	g.conns[c] = struct{}{}
	g.wg.Add(1)
	g.mu.Unlock()
	g.m.Connections.Inc()
	defer func() {
		g.mu.Lock()
		delete(g.conns, c)
		g.mu.Unlock()
		g.m.Connections.Dec()
		g.wg.Done()
	}()
	ctx, cancel := context.WithDeadline(g.ctx, claims.ExpiresAt)
	defer cancel()
	c.serve(ctx)
}

func refusalReason(err error) string {
	switch auth.RefusalMessage(err) {
	case "token required":
		return "no_token"
	case "token expired":
		return "expired_token"
	}
	return "invalid_token"
}
