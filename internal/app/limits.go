package app

import (
	"net/http"
	"strings"
	"time"

	"github.com/rankstream/rankstream/ingest"
	"github.com/rankstream/rankstream/internal/ratelimit"
)

// Limits are the rate limits of the HTTP doors (config limits.*); 0 turns
// one off. Login, query and WebSocket connects count per client IP, ingest
// counts events per provider. Over a limit the answer is 429 + Retry-After.
type Limits struct {
	LoginPerMinute  int
	QueryPerSecond  int
	WSPerMinute     int
	IngestPerSecond int
}

// ingestMinBurst lets a full batch (CONTRACT.md §2: 1000 events) through.
const ingestMinBurst = 1000

// limiters are the built limits (nil: off).
type limiters struct {
	login, query, ws, ingest *ratelimit.Keyed
}

func (a *App) newLimiters() (*limiters, error) {
	m, err := ratelimit.NewMetrics(a.opts.Registry)
	if err != nil {
		return nil, err
	}
	l := a.opts.Limits
	mk := func(name string, n int, every time.Duration, burst int) *ratelimit.Keyed {
		if n <= 0 {
			return nil
		}
		return ratelimit.New(name, n, every, burst, m)
	}
	return &limiters{
		login:  mk("login", l.LoginPerMinute, time.Minute, max(1, l.LoginPerMinute/4)),
		query:  mk("query", l.QueryPerSecond, time.Second, l.QueryPerSecond),
		ws:     mk("ws", l.WSPerMinute, time.Minute, max(1, l.WSPerMinute/4)),
		ingest: mk("ingest", l.IngestPerSecond, time.Second, max(ingestMinBurst, l.IngestPerSecond)),
	}, nil
}

// ingestLimit is the webhook's per-provider limit (nil: none).
func (l *limiters) ingestLimit() ingest.Limiter {
	if l == nil || l.ingest == nil {
		return nil
	}
	return l.ingest.Allow
}

// handler puts the per-IP limits in front of next, chosen by route.
func (l *limiters) handler(next http.Handler) http.Handler {
	login := ratelimit.Handler(l.login, next)
	query := ratelimit.Handler(l.query, next)
	ws := ratelimit.Handler(l.ws, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case r.Method == http.MethodPost && p == "/v1/auth/login":
			login.ServeHTTP(w, r)
		case p == "/v1/ws":
			ws.ServeHTTP(w, r)
		case r.Method == http.MethodGet && (p == "/v1/contests" || strings.HasPrefix(p, "/v1/leaderboards/")):
			query.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}
