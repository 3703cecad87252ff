package readmodel

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Write operations, the "op" label of the metrics.
const (
	opApply   = "apply"
	opReplace = "replace"
)

// Metrics of the read-model writer (rankstream_readmodel_…).
type Metrics struct {
	// WriteBatches counts successful write transactions by op.
	WriteBatches *prometheus.CounterVec
	// WriteSeconds is the latency of a write (whole Replace, or one Apply).
	WriteSeconds *prometheus.HistogramVec
	// WriteErrors counts failed writes by op.
	WriteErrors *prometheus.CounterVec
	// Entries counts the standings written, by kind (upsert, delete, replace).
	Entries *prometheus.CounterVec
}

// NewMetrics creates the writer's metrics and registers them on reg (nil: not
// registered). Collectors already registered by another Writer on the same
// registry are shared.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		WriteBatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_readmodel_write_batches_total",
			Help: "Read-model write transactions committed, by operation.",
		}, []string{"op"}),
		WriteSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rankstream_readmodel_write_seconds",
			Help:    "Latency of read-model writes, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"op"}),
		WriteErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_readmodel_write_errors_total",
			Help: "Read-model writes that failed, by operation.",
		}, []string{"op"}),
		Entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_readmodel_entries_written_total",
			Help: "Standings written to the read model, by kind (upsert, delete, replace).",
		}, []string{"kind"}),
	}
	if reg != nil {
		m.WriteBatches = register(reg, m.WriteBatches)
		m.WriteSeconds = register(reg, m.WriteSeconds)
		m.WriteErrors = register(reg, m.WriteErrors)
		m.Entries = register(reg, m.Entries)
	}
	return m
}

// register registers c, or returns the equal collector registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	c, err := promreg.Register(reg, c)
	if err != nil {
		panic(err)
	}
	return c
}
