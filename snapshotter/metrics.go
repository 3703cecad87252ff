package snapshotter

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the snapshotter stage.
type Metrics struct {
	Written      *prometheus.CounterVec // kind
	Errors       *prometheus.CounterVec // kind
	Rows         prometheus.Counter
	WriteSeconds prometheus.Histogram
	CopySeconds  prometheus.Histogram
	SyncSeconds  prometheus.Histogram
}

// NewMetrics registers the snapshotter metrics on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Written: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_snapshot_written_total",
			Help: "Snapshots written to Postgres, by kind (hourly, final)."}, []string{"kind"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_snapshot_errors_total",
			Help: "Snapshots that could not be written, by kind (retried)."}, []string{"kind"}),
		Rows: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_snapshot_rows_total",
			Help: "Standings rows written in snapshots."}),
		WriteSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rankstream_snapshot_write_seconds",
			Help: "Time to write one snapshot (COPY and header, one transaction).", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		CopySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rankstream_snapshot_board_copy_seconds",
			Help: "Time to copy one board out of the ranker, ordering included (the lock is held for the map walk only).", Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12)}),
		SyncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rankstream_snapshot_sync_seconds",
			Help: "Time to wait for the scorer and ranker to cover the EVENTS stream before a snapshot.", Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10)}),
	}
	for _, kind := range []string{KindHourly, KindFinal} {
		// Exposed at 0 from the start, so that increase() sees the first one.
		m.Written.WithLabelValues(kind)
		m.Errors.WithLabelValues(kind)
	}
	if reg != nil {
		reg.MustRegister(m.Written, m.Errors, m.Rows, m.WriteSeconds, m.CopySeconds, m.SyncSeconds)
	}
	return m
}
