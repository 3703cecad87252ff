package auth

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Lockout defaults: after LockAfter wrong passwords in a row a login is
// locked for 1s, doubling with each further failure up to LockMax.
const (
	DefaultLockAfter = 5
	DefaultLockMax   = 15 * time.Minute
	lockForget       = time.Hour // failures older than this are forgotten
	lockSweepAbove   = 100000
)

// lockout counts consecutive wrong logins per login name (whatever the
// client address, so spreading guesses over IPs does not help). A locked
// login answers 429 + Retry-After without checking the password.
type lockout struct {
	after int
	max   time.Duration
	now   func() time.Time

	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n     int
	last  time.Time
	until time.Time
}

func newLockout(after int, max time.Duration, now func() time.Time) *lockout {
	return &lockout{after: after, max: max, now: now, m: map[string]*failures{}}
}

// locked returns the time left on login's lock.
func (l *lockout) locked(login string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[login]
	if f == nil {
		return 0, false
	}
	if d := f.until.Sub(l.now()); d > 0 {
		return d, true
	}
	return 0, false
}

// fail records a wrong password; it returns the lock it starts (0: none).
func (l *lockout) fail(login string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) >= lockSweepAbove {
		for k, f := range l.m {
			if now.Sub(f.last) > lockForget {
				delete(l.m, k)
			}
		}
	}
	f := l.m[login]
	if f == nil || now.Sub(f.last) > lockForget {
		f = &failures{}
		l.m[login] = f
	}
	f.n++
	f.last = now
	if f.n < l.after {
		return 0
	}
	d := time.Second << min(f.n-l.after, 30)
	if d > l.max || d <= 0 {
		d = l.max
	}
	f.until = now.Add(d)
	return d
}

// ok forgets login's failures after a right password.
func (l *lockout) ok(login string) {
	l.mu.Lock()
	delete(l.m, login)
	l.mu.Unlock()
}

// refuseLocked answers 429 + Retry-After for a locked login.
func (h *Handler) refuseLocked(w http.ResponseWriter, login string) bool {
	d, locked := h.lock.locked(login)
	if !locked {
		return false
	}
	h.m.Requests.WithLabelValues("login", "locked").Inc()
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
	WriteError(w, http.StatusTooManyRequests, "too many wrong passwords: login locked for a while")
	return true
}

// wrongPassword counts the failure and answers 401 (or 429 once it locks).
func (h *Handler) wrongPassword(w http.ResponseWriter, login string) {
	if d := h.lock.fail(login); d > 0 {
		h.log.Warn("login locked after repeated wrong passwords", "user", login, "for", d)
	}
	if h.refuseLocked(w, login) {
		return
	}
	h.m.Requests.WithLabelValues("login", "refused").Inc()
	WriteError(w, http.StatusUnauthorized, "invalid login or password")
}
