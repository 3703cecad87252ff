package aggregator

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the aggregator stage.
type Metrics struct {
	EventsIn       prometheus.Counter
	Duplicates     prometheus.Counter
	Rejected       *prometheus.CounterVec // reason
	Late           *prometheus.CounterVec // contest
	Accruals       *prometheus.CounterVec // contest, result
	ScoresOut      prometheus.Counter
	PublishErrors  *prometheus.CounterVec   // stream
	Lag            *prometheus.GaugeVec     // stage: scorer|ranker
	LagSeconds     *prometheus.GaugeVec     // stage: scorer|ranker
	EventLatency   *prometheus.HistogramVec // stage: scored|ranked|visible
	BoardEntries   *prometheus.GaugeVec     // contest, window, division
	Boards         prometheus.Gauge
	TickSeconds    prometheus.Histogram
	RedisErrors    prometheus.Counter
	CatchupSeconds *prometheus.GaugeVec // stage

	Checkpoints        *prometheus.CounterVec // result: written|failed|skipped
	CheckpointSeconds  prometheus.Histogram
	CheckpointBytes    prometheus.Counter
	RestoredPartitions prometheus.Gauge
	OwnedPartitions    prometheus.Gauge
	LeasesLost         prometheus.Counter
	ReaderRestarts     prometheus.Counter
	Leader             *prometheus.GaugeVec // lease: 1 while this process holds it

	Rescores prometheus.Counter // open windows re-scored after a rule change (rescore.go)
	// State size (prune.go): bytes of the latest checkpoint of every
	// partition, the time to write one, and what the scorer holds.
	CheckpointStateBytes   prometheus.Gauge
	CheckpointWriteSeconds prometheus.Histogram
	ScorerState            *prometheus.GaugeVec // kind: seen_ids|user_windows|candidates
	ReleasedWindows        prometheus.Counter
	Missions               *MissionMetrics
	Sinks                  *SinkMetrics // the ranker's output (ranker_metrics.go)
}

// NewMetrics registers the aggregator metrics on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		EventsIn: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_events_in_total",
			Help: "Messages read from the EVENTS stream by the scorers."}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_events_duplicate_total",
			Help: "Events whose event_id was already seen (first arrival wins)."}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_events_rejected_total",
			Help: "Events moved to the invalid dead-letter stream, by reason."}, []string{"reason"}),
		Late: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_events_late_total",
			Help: "Events that arrived after end+lateness of a contest window (late dead-letter stream)."}, []string{"contest"}),
		Accruals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_accruals_total",
			Help: "Decisions per event and contest: counted, outside_window, out_of_scope, ineligible, duplicate, late, rate_limited, frozen."}, []string{"contest", "result"}),
		ScoresOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_scores_published_total",
			Help: "Absolute standings published to the SCORES stream."}),
		PublishErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_publish_errors_total",
			Help: "Failed publishes by target stream."}, []string{"stream"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_consumer_lag",
			Help: "Stream messages not yet processed, by stage."}, []string{"stage"}),
		LagSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_consumer_lag_seconds",
			Help: "Age (stream time) of the last message processed while more wait, by stage; 0 when caught up."}, []string{"stage"}),
		EventLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rankstream_event_latency_seconds",
			Help:    "From an event's EVENTS stream timestamp to: its standing on SCORES (scored), in the ranker's board (ranked), in the read model the API answers from (visible; the oldest event of each board's tick).",
			Buckets: latencyBuckets}, []string{"stage"}),
		BoardEntries: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_board_entries",
			Help: "Users on each board."}, []string{"contest", "window", "division"}),
		Boards: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_boards",
			Help: "Boards held by the ranker."}),
		TickSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rankstream_ranker_tick_seconds",
			Help: "Time to write one ranker tick to the read model.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		RedisErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_redis_errors_total",
			Help: "Failed read-model writes (retried on the next tick)."}),
		CatchupSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_catchup_seconds",
			Help: "Time the stage took to catch up with its stream at start."}, []string{"stage"}),
		Checkpoints: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_scorer_checkpoints_total",
			Help: "Partition checkpoints by result: written, failed (write or a SCORES ack failed), skipped (previous still in flight)."}, []string{"result"}),
		CheckpointSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rankstream_scorer_checkpoint_seconds",
			Help: "Time from taking a checkpoint round to having it durable (SCORES acks + object store).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		CheckpointBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_scorer_checkpoint_bytes_total",
			Help: "Bytes of checkpoints written."}),
		RestoredPartitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_scorer_restored_partitions",
			Help: "Partitions whose state was restored from a checkpoint at the last start."}),
		OwnedPartitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_scorer_owned_partitions",
			Help: "EVENTS partitions this process scores (all of them unless shared)."}),
		LeasesLost: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_scorer_partition_leases_lost_total",
			Help: "Partition leases this process lost (taken over, or not refreshed in time) while scoring the partition."}),
		ReaderRestarts: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_ranker_reader_restarts_total",
			Help: "Times the ranker restarted its SCORES reader after an error or a stall."}),
		Leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_leader",
			Help: "1 while this process holds the named lease (ranker: writes the read model, pushes, snapshots)."}, []string{"lease"}),
		Rescores: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_scorer_rescores_total",
			Help: "Re-scorings of a contest's open windows by a scorer worker after a new contest version."}),
	}
	m.stateMetrics()
	m.Missions = newMissionMetrics(reg)
	m.Sinks = newSinkMetrics(reg)
	if reg != nil {
		reg.MustRegister(m.Rescores, m.LeasesLost)
		reg.MustRegister(m.EventsIn, m.Duplicates, m.Rejected, m.Late, m.Accruals, m.ScoresOut,
			m.PublishErrors, m.Lag, m.LagSeconds, m.EventLatency, m.BoardEntries, m.Boards, m.TickSeconds, m.RedisErrors, m.CatchupSeconds,
			m.Checkpoints, m.CheckpointSeconds, m.CheckpointBytes, m.RestoredPartitions, m.OwnedPartitions, m.ReaderRestarts, m.Leader,
			m.CheckpointStateBytes, m.CheckpointWriteSeconds, m.ScorerState, m.ReleasedWindows)
	}
	return m
}
