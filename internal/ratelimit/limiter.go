// Package ratelimit refuses requests beyond a per-key rate (token buckets
// of golang.org/x/time/rate), answering 429 with Retry-After.
package ratelimit

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sweepAbove is the number of keys past which full (idle) buckets are
// dropped, at most once per sweepEvery.
const (
	sweepAbove = 10000
	sweepEvery = time.Minute
)

// Keyed is one token bucket per key (client IP, provider, ...).
type Keyed struct {
	name  string
	limit rate.Limit
	burst int
	m     *Metrics
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// New allows each key n events per every (e.g. 30 per minute) with bursts
// of burst (at least 1). name labels the metrics; m may be nil.
func New(name string, n int, every time.Duration, burst int, m *Metrics) *Keyed {
	return &Keyed{name: name, limit: rate.Limit(float64(n) / every.Seconds()), burst: max(burst, 1), m: m,
		now: time.Now, buckets: map[string]*rate.Limiter{}}
}

// Allow takes n tokens from key's bucket. When they are not there it takes
// none and returns how long until they would be.
func (k *Keyed) Allow(key string, n int) (retryAfter time.Duration, ok bool) {
	now := k.now()
	b := k.bucket(key, now)
	if n > k.burst {
		// Never fits at once: refuse for the time the whole of n takes.
		k.refused()
		return time.Duration(float64(n) / float64(k.limit) * float64(time.Second)), false
	}
	r := b.ReserveN(now, n)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		k.refused()
		return d, false
	}
	return 0, true
}

func (k *Keyed) refused() {
	if k.m != nil {
		k.m.Refused.WithLabelValues(k.name).Inc()
	}
}

func (k *Keyed) bucket(key string, now time.Time) *rate.Limiter {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.buckets[key]
	if !ok {
		if len(k.buckets) >= sweepAbove && now.Sub(k.lastSweep) >= sweepEvery {
			k.lastSweep = now
			for key, b := range k.buckets {
				if b.TokensAt(now) >= float64(k.burst) {
					delete(k.buckets, key)
				}
			}
		}
		b = rate.NewLimiter(k.limit, k.burst)
		k.buckets[key] = b
	}
	return b
}

// RetryAfterSeconds is d rounded up to whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// Refuse writes 429 Too Many Requests with Retry-After.
func Refuse(w http.ResponseWriter, retryAfter time.Duration) {
	s := RetryAfterSeconds(retryAfter)
	w.Header().Set("Retry-After", strconv.Itoa(s))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"error":"rate limited","retry_after":` + strconv.Itoa(s) + "}\n"))
}

// ClientIP is the request's remote address without the port (no proxy
// header is trusted: put the limit on the proxy, or run it behind none).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Handler refuses requests of a client IP beyond k's rate (nil k: next).
func Handler(k *Keyed, next http.Handler) http.Handler {
	if k == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := k.Allow(ClientIP(r), 1); !ok {
			Refuse(w, d)
			return
		}
		next.ServeHTTP(w, r)
	})
}
