package notifier

import "github.com/prometheus/client_golang/prometheus"

// WatchMetrics are the notifier's metrics of who is watched: the interest
// polls, the shared watch bucket and the bound on watched users (part of
// Metrics).
type WatchMetrics struct {
	// InterestSource is 1 for the interest source in use (subsz,
	// sys_subsz, account_connz, or none: only WebSocket subscriptions and
	// the watch bucket).
	InterestSource *prometheus.GaugeVec
	// InterestPolls counts interest polls by source and result (ok, error).
	InterestPolls *prometheus.CounterVec
	// InterestSubs is the live rank subscriptions the last poll found.
	InterestSubs prometheus.Gauge
	// InterestTruncated is the subscriptions the last poll did not list
	// (over the per-server bound).
	InterestTruncated prometheus.Gauge
	// WatchedShared is the (contest, user) pairs known from the watch bucket.
	WatchedShared prometheus.Gauge
	// WatchedDropped is the watched pairs over the bound, not examined.
	WatchedDropped prometheus.Gauge
	// WatchKVWrites counts watch bucket writes by op (put, delete).
	WatchKVWrites *prometheus.CounterVec
	// WatchKVErrors counts failed watch bucket operations by op (put,
	// delete, watch).
	WatchKVErrors *prometheus.CounterVec
	// WatchKVDeferred counts puts left for a later sync (over the bound).
	WatchKVDeferred prometheus.Counter
}

// initWatch creates the watch metrics and registers them on reg (nil: not
// registered).
func (m *Metrics) initWatch(reg prometheus.Registerer) error {
	w := &m.WatchMetrics
	w.InterestSource = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_notifier_interest_source",
		Help: "1 for the source of NATS subscription interest in use (subsz, sys_subsz, account_connz, none)."}, []string{"source"})
	w.InterestPolls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_notifier_interest_polls_total",
		Help: "Polls of NATS subscription interest, by source and result (ok, error)."}, []string{"source", "result"})
	w.InterestSubs = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_notifier_interest_subscriptions",
		Help: "Live rank subscriptions (lb.<contest>.user.<id>) found by the last interest poll."})
	w.InterestTruncated = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_notifier_interest_truncated",
		Help: "Subscriptions the last interest poll did not list (over the per-server bound)."})
	w.WatchedShared = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_notifier_watched_shared",
		Help: "Watched (contest, user) pairs known from the watch bucket (every process)."})
	w.WatchedDropped = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rankstream_notifier_watched_dropped",
		Help: "Watched pairs over the bound of watched users, not examined by the ranker."})
	w.WatchKVWrites = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_notifier_watch_kv_writes_total",
		Help: "Watch bucket writes, by op (put, delete)."}, []string{"op"})
	w.WatchKVErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_notifier_watch_kv_errors_total",
		Help: "Failed watch bucket operations, by op (put, delete, watch)."}, []string{"op"})
	w.WatchKVDeferred = prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_notifier_watch_kv_deferred_total",
		Help: "Watch bucket puts left for a later sync (over the per-sync bound)."})
	if reg == nil {
		return nil
	}
	var err error
	for _, r := range []func() error{
		func() (e error) { w.InterestSource, e = register(reg, w.InterestSource); return },
		func() (e error) { w.InterestPolls, e = register(reg, w.InterestPolls); return },
		func() (e error) { w.InterestSubs, e = register(reg, w.InterestSubs); return },
		func() (e error) { w.InterestTruncated, e = register(reg, w.InterestTruncated); return },
		func() (e error) { w.WatchedShared, e = register(reg, w.WatchedShared); return },
		func() (e error) { w.WatchedDropped, e = register(reg, w.WatchedDropped); return },
		func() (e error) { w.WatchKVWrites, e = register(reg, w.WatchKVWrites); return },
		func() (e error) { w.WatchKVErrors, e = register(reg, w.WatchKVErrors); return },
		func() (e error) { w.WatchKVDeferred, e = register(reg, w.WatchKVDeferred); return },
	} {
		if err = r(); err != nil {
			return err
		}
	}
	return nil
}
