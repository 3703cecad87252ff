package ingest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/promreg"
)

// Doors and results, used as metric label values.
const (
	DoorHTTP = "http"
	DoorNATS = "nats"

	ResultAccepted  = "accepted"
	ResultDuplicate = "duplicate"
	ResultRejected  = "rejected"
)

// Metrics are the ingest counters. Both doors share one set: a second
// NewMetrics on the same registerer reuses the collectors already registered.
type Metrics struct {
	Events   *prometheus.CounterVec // door, result
	Rejected *prometheus.CounterVec // door, reason
	Requests *prometheus.CounterVec // code (HTTP door)
	Duration prometheus.Histogram   // HTTP request duration
}

// NewMetrics creates the ingest metrics and registers them on reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_ingest_events_total",
			Help: "Events received by an ingest door, by result (accepted, duplicate, rejected).",
		}, []string{"door", "result"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_ingest_rejected_total",
			Help: "Events rejected by an ingest door, by reason.",
		}, []string{"door", "reason"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_ingest_requests_total",
			Help: "HTTP webhook requests by status code.",
		}, []string{"code"}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rankstream_ingest_request_duration_seconds",
			Help:    "HTTP webhook request duration, publish acks included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	if reg != nil {
		var err error
		if m.Events, err = register(reg, m.Events); err != nil {
			return nil, err
		}
		if m.Rejected, err = register(reg, m.Rejected); err != nil {
			return nil, err
		}
		if m.Requests, err = register(reg, m.Requests); err != nil {
			return nil, err
		}
		if m.Duration, err = register(reg, m.Duration); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("ingest: register metrics: %w", err)
	}
	return c, nil
}

// initDoor makes a door's series visible at 0 before the first event.
func (m *Metrics) initDoor(door string, reasons ...string) {
	for _, r := range []string{ResultAccepted, ResultDuplicate, ResultRejected} {
		m.Events.WithLabelValues(door, r)
	}
	for _, r := range reasons {
		m.Rejected.WithLabelValues(door, r)
	}
}

// Accepted counts n events newly stored.
func (m *Metrics) Accepted(door string, n int) {
	if n > 0 {
		m.Events.WithLabelValues(door, ResultAccepted).Add(float64(n))
	}
}

// Duplicates counts n events that JetStream (or the batch) already had.
func (m *Metrics) Duplicates(door string, n int) {
	if n > 0 {
		m.Events.WithLabelValues(door, ResultDuplicate).Add(float64(n))
	}
}

// Reject counts one rejected event with its reason.
func (m *Metrics) Reject(door, reason string) {
	m.Events.WithLabelValues(door, ResultRejected).Inc()
	m.Rejected.WithLabelValues(door, reason).Inc()
}

// Request counts one HTTP request with its status code and duration.
func (m *Metrics) Request(code int, d time.Duration) {
	m.Requests.WithLabelValues(strconv.Itoa(code)).Inc()
	m.Duration.Observe(d.Seconds())
}

var httpReasons = []string{
	event.ReasonBadJSON, event.ReasonMissingField, event.ReasonInvalidField,
	event.ReasonFutureTS, event.ReasonProviderMismatch,
}
