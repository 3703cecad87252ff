package query

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Endpoints, the "endpoint" label of the metrics.
const (
	endpointContests    = "contests"
	endpointLeaderboard = "leaderboard"
)

// Metrics of the query API (rankstream_query_…).
type Metrics struct {
	// Requests counts answered requests by endpoint and status code.
	Requests *prometheus.CounterVec
	// Seconds is the latency of requests by endpoint.
	Seconds *prometheus.HistogramVec
	// ReadErrors counts requests that failed reading Redis.
	ReadErrors *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Collectors registered before on reg are shared.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_query_requests_total",
			Help: "Query API requests by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		Seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rankstream_query_request_seconds",
			Help:    "Query API latency by endpoint.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}, []string{"endpoint"}),
		ReadErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_query_read_errors_total",
			Help: "Query API requests that failed reading the read model, by endpoint.",
		}, []string{"endpoint"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Requests, err = register(reg, m.Requests); err != nil {
		return nil, err
	}
	if m.Seconds, err = register(reg, m.Seconds); err != nil {
		return nil, err
	}
	if m.ReadErrors, err = register(reg, m.ReadErrors); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("query: register metrics: %w", err)
	}
	return c, nil
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (h *Handler) instrument(endpoint string, fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		fn(sw, r)
		h.m.Requests.WithLabelValues(endpoint, strconv.Itoa(sw.code)).Inc()
		h.m.Seconds.WithLabelValues(endpoint).Observe(time.Since(t0).Seconds())
	}
}
