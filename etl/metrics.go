package etl

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Metrics of the etl stage.
type Metrics struct {
	Lag           prometheus.Gauge       // seconds the load is behind the EVENTS stream
	RowsLoaded    *prometheus.CounterVec // table
	RowsFailed    *prometheus.CounterVec // table: rows of batches that failed (and are retried)
	BatchRows     *prometheus.HistogramVec
	BatchSeconds  *prometheus.HistogramVec
	Retries       *prometheus.CounterVec // table
	LoadedSeq     prometheus.Gauge       // highest EVENTS sequence in events
	ClickHouseUp  prometheus.Gauge
	RewardsWaited prometheus.Gauge // 1 while reward_history does not exist yet
}

// NewMetrics registers the etl metrics on reg (nil: not registered); it can
// be called more than once with one registry.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_etl_lag_seconds",
			Help: "How far behind the EVENTS stream the ClickHouse load is (arrival time of the oldest message not yet loaded; 0 when caught up)."}),
		RowsLoaded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_etl_rows_loaded_total",
			Help: "Rows inserted into ClickHouse, by table."}, []string{"table"}),
		RowsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_etl_rows_failed_total",
			Help: "Rows of batch inserts that failed (each is retried until it lands), by table."}, []string{"table"}),
		BatchRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rankstream_etl_batch_rows",
			Help:    "Rows per ClickHouse insert block, by table.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10)}, []string{"table"}),
		BatchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rankstream_etl_batch_seconds",
			Help:    "Duration of one ClickHouse insert block, by table.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"table"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_etl_retries_total",
			Help: "ClickHouse calls retried after an error, by table."}, []string{"table"}),
		LoadedSeq: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_etl_loaded_seq",
			Help: "Highest EVENTS stream sequence loaded into events."}),
		ClickHouseUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_etl_clickhouse_up",
			Help: "1 while the last ClickHouse call succeeded."}),
		RewardsWaited: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_etl_rewards_source_missing",
			Help: "1 while the Postgres table reward_history does not exist yet."}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Lag, err = register(reg, m.Lag); err != nil {
		return nil, err
	}
	if m.RowsLoaded, err = register(reg, m.RowsLoaded); err != nil {
		return nil, err
	}
	if m.RowsFailed, err = register(reg, m.RowsFailed); err != nil {
		return nil, err
	}
	if m.BatchRows, err = register(reg, m.BatchRows); err != nil {
		return nil, err
	}
	if m.BatchSeconds, err = register(reg, m.BatchSeconds); err != nil {
		return nil, err
	}
	if m.Retries, err = register(reg, m.Retries); err != nil {
		return nil, err
	}
	if m.LoadedSeq, err = register(reg, m.LoadedSeq); err != nil {
		return nil, err
	}
	if m.ClickHouseUp, err = register(reg, m.ClickHouseUp); err != nil {
		return nil, err
	}
	if m.RewardsWaited, err = register(reg, m.RewardsWaited); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("etl: register metrics: %w", err)
	}
	return c, nil
}
