package ratelimit

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Metrics of the rate limits (rankstream_ratelimit_…).
type Metrics struct {
	// Refused counts requests answered 429, by limit (login, query, ws, ingest).
	Refused *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered); collectors registered before on reg are shared.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rankstream_ratelimit_refused_total",
		Help: "Requests refused with 429 by a rate limit, by limit.",
	}, []string{"limit"})}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Refused, err = promreg.Register(reg, m.Refused); err != nil {
		return nil, err
	}
	return m, nil
}
