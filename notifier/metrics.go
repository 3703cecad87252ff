package notifier

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Metrics of the notifier (rankstream_notifier_…).
type Metrics struct {
	// Published counts live messages published, by type (top, rank).
	Published *prometheus.CounterVec
	// Coalesced counts updates replaced by a newer one before they were sent.
	Coalesced prometheus.Counter
	// Overtaken counts rank messages of watched users whose own score did not
	// change (others overtook them or fell behind).
	Overtaken prometheus.Counter
	// PublishErrors counts failed publishes.
	PublishErrors prometheus.Counter
	// Pending is the number of subjects holding an update waiting for its slot.
	Pending prometheus.Gauge
	// Watched is the number of watched (contest, user) pairs.
	Watched prometheus.Gauge
	// Boards is the number of boards whose pushed state is kept.
	Boards prometheus.Gauge
	// TickSeconds is how long one ranker tick's deltas took to process.
	TickSeconds prometheus.Histogram
	// EventToPush is the time from an event's EVENTS stream timestamp to the
	// live message that carries it (the oldest event of a coalesced update).
	EventToPush prometheus.Histogram
	// Active is 1 while this notifier publishes, 0 while it is a standby
	// (Options.Active).
	Active prometheus.Gauge
	// Standby counts the states a standby kept because no live message
	// carried them yet (standby.go).
	Standby prometheus.Counter
	// Resent counts the messages published again after a reconnect
	// (confirm.go).
	Resent prometheus.Counter
	// Heard counts the live messages a standby heard (the holder's).
	Heard prometheus.Counter
	// TakeoverUpdates counts the updates queued on becoming active: what
	// the previous holder had not sent.
	TakeoverUpdates prometheus.Counter
	// WatchMetrics: interest polls and the shared watch bucket.
	WatchMetrics
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Collectors registered before on reg are shared.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_notifier_published_total",
			Help: "Live messages published, by type (top, rank).",
		}, []string{"type"}),
		Coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_notifier_coalesced_total",
			Help: "Updates replaced by a newer one before their subject's slot came.",
		}),
		Overtaken: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_notifier_overtaken_total",
			Help: "Rank messages of watched users caused by other users' changes.",
		}),
		PublishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_notifier_publish_errors_total",
			Help: "Live messages that could not be published.",
		}),
		Pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rankstream_notifier_pending_subjects",
			Help: "Subjects holding an update that waits for the subject's rate limit.",
		}),
		Watched: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rankstream_notifier_watched",
			Help: "Watched (contest, user) pairs: WebSocket and NATS subscribers.",
		}),
		Boards: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rankstream_notifier_boards",
			Help: "Boards whose last pushed state the notifier keeps.",
		}),
		TickSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rankstream_notifier_tick_seconds",
			Help:    "Time to process one ranker tick's board deltas.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
		EventToPush: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rankstream_notifier_event_to_push_seconds",
			Help:    "From an event's EVENTS stream timestamp to the live NATS message carrying it (push SLO: p95 <= 120ms).",
			Buckets: []float64{.005, .01, .025, .05, .075, .1, .12, .15, .2, .25, .3, .4, .5, .75, 1, 1.5, 2, 3, 5, 10, 30},
		}),
	}
	if err := m.initWatch(reg); err != nil {
		return nil, err
	}
	if err := m.initStandby(reg); err != nil {
		return nil, err
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Published, err = register(reg, m.Published); err != nil {
		return nil, err
	}
	if m.Coalesced, err = register(reg, m.Coalesced); err != nil {
		return nil, err
	}
	if m.Overtaken, err = register(reg, m.Overtaken); err != nil {
		return nil, err
	}
	if m.PublishErrors, err = register(reg, m.PublishErrors); err != nil {
		return nil, err
	}
	if m.Pending, err = register(reg, m.Pending); err != nil {
		return nil, err
	}
	if m.Watched, err = register(reg, m.Watched); err != nil {
		return nil, err
	}
	if m.Boards, err = register(reg, m.Boards); err != nil {
		return nil, err
	}
	if m.TickSeconds, err = register(reg, m.TickSeconds); err != nil {
		return nil, err
	}
	if m.EventToPush, err = register(reg, m.EventToPush); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("notifier: register metrics: %w", err)
	}
	return c, nil
}

// initStandby creates the metrics of Options.Active and registers them on
// reg (nil: not registered).
func (m *Metrics) initStandby(reg prometheus.Registerer) error {
	m.Active = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rankstream_notifier_active",
		Help: "1 while this process's notifier publishes, 0 while it is a standby for the notifier lease holder.",
	})
	m.Standby = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rankstream_notifier_standby_total",
		Help: "Rank and top states a standby notifier kept because no live message carried them yet (sent if it takes the lease over).",
	})
	m.Resent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rankstream_notifier_resent_total",
		Help: "Live messages published again after a NATS reconnect: no round trip had confirmed them before it.",
	})
	m.Heard = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rankstream_notifier_standby_heard_total",
		Help: "Live rank and top messages a standby notifier heard on NATS (what the lease holder sent).",
	})
	m.TakeoverUpdates = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rankstream_notifier_takeover_updates_total",
		Help: "Updates a notifier queued on becoming active: states the previous lease holder had not sent.",
	})
	if reg == nil {
		return nil
	}
	var err error
	if m.Active, err = register(reg, m.Active); err != nil {
		return err
	}
	if m.Standby, err = register(reg, m.Standby); err != nil {
		return err
	}
	if m.Resent, err = register(reg, m.Resent); err != nil {
		return err
	}
	if m.Heard, err = register(reg, m.Heard); err != nil {
		return err
	}
	m.TakeoverUpdates, err = register(reg, m.TakeoverUpdates)
	return err
}
