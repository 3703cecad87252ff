package aggregator

import "github.com/prometheus/client_golang/prometheus"

// SinkMetrics are the ranker's output metrics (ranker_sink.go, ranker_groups.go).
type SinkMetrics struct {
	Errors      *prometheus.CounterVec   // sink
	Writes      *prometheus.CounterVec   // sink
	Seconds     *prometheus.HistogramVec // sink: time of one tick's write
	OwnedGroups prometheus.Gauge
	// The group filter (ranker_filter.go).
	ScoresApplied prometheus.Counter
	ScoresForeign prometheus.Counter
	GroupLoads    prometheus.Counter
	// ScoresStale: standings dropped as older than the one held (SrcSeq).
	ScoresStale prometheus.Counter
	// WatchedReports: ranks-only deltas of quiet boards for users who
	// became watched (ranker_watch.go).
	WatchedReports prometheus.Counter
}

func newSinkMetrics(reg prometheus.Registerer) *SinkMetrics {
	m := &SinkMetrics{
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_ranker_sink_errors_total",
			Help: "Failed writes of a ranker tick to a sink (its boards are written in full on the next ticks)."}, []string{"sink"}),
		Writes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_ranker_sink_writes_total",
			Help: "Ranker ticks written to a sink."}, []string{"sink"}),
		Seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rankstream_ranker_sink_seconds",
			Help: "Time to write one ranker tick to a sink.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"sink"}),
		OwnedGroups: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_ranker_owned_groups",
			Help: "Board groups whose lease this process holds (it writes their boards)."}),
		ScoresApplied: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_scores_applied_total",
			Help: "SCORES standings applied by this process's ranker (its board groups only)."}),
		ScoresForeign: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_scores_foreign_total",
			Help: "SCORES standings read and dropped: another process's group, on a subject of an older scheme."}),
		GroupLoads: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_group_loads_total",
			Help: "Times the ranker re-read SCORES from the start for a board group it gained."}),
		ScoresStale: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_scores_stale_total",
			Help: "SCORES standings dropped because the board holds one of a later event for the user (a cut-off scorer's buffered publishes)."}),
		WatchedReports: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_watched_reports_total",
			Help: "Ranks-only deltas of quiet boards written because users on them became watched (their current rank, once)."}),
	}
	if reg != nil {
		reg.MustRegister(m.Errors, m.Writes, m.Seconds, m.OwnedGroups, m.ScoresApplied, m.ScoresForeign, m.GroupLoads, m.ScoresStale, m.WatchedReports)
	}
	return m
}
