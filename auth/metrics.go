package auth

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Metrics of the account endpoints (rankstream_auth_…).
type Metrics struct {
	// Requests counts register and login requests by endpoint and result
	// (ok, invalid, taken, refused, error).
	Requests *prometheus.CounterVec
	// HashSeconds is the time of one argon2id computation.
	HashSeconds prometheus.Histogram
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Collectors registered before on reg are shared.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_auth_requests_total",
			Help: "Account requests by endpoint (register, login) and result.",
		}, []string{"endpoint", "result"}),
		HashSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rankstream_auth_hash_seconds",
			Help:    "Time of one argon2id password hash or check.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 12),
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Requests, err = register(reg, m.Requests); err != nil {
		return nil, err
	}
	if m.HashSeconds, err = register(reg, m.HashSeconds); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("auth: register metrics: %w", err)
	}
	return c, nil
}
