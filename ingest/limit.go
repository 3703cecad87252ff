package ingest

import (
	"net/http"
	"time"

	"github.com/rankstream/rankstream/internal/ratelimit"
)

// Limiter decides whether provider may send events now; when not, it
// returns how long until it may.
type Limiter func(provider string, events int) (retryAfter time.Duration, ok bool)

// overLimit answers 429 + Retry-After when the provider is over its rate.
func (h *HTTP) overLimit(w http.ResponseWriter, provider string, events int) (int, bool) {
	if h.limit == nil {
		return 0, false
	}
	d, ok := h.limit(provider, events)
	if ok {
		return 0, false
	}
	h.log.Info("provider over its rate limit", "provider", provider, "events", events, "retry_after", d)
	ratelimit.Refuse(w, d)
	return http.StatusTooManyRequests, true
}
