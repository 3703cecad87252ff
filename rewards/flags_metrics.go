package rewards

import "github.com/prometheus/client_golang/prometheus"

// FlagMetrics are the abuse flag metrics (rankstream_abuse_…).
type FlagMetrics struct {
	// Raised counts flags stored, by flag (uniform_timing, shared_device).
	Raised *prometheus.CounterVec
	// Cleared counts flags an admin cleared, by flag.
	Cleared *prometheus.CounterVec
	// Sightings counts device sightings consumed.
	Sightings prometheus.Counter
	// Released counts rewards released when flags were cleared.
	Released prometheus.Counter
	// Refused counts flag records that can never be stored (terminated).
	Refused prometheus.Counter
}

func newFlagMetrics(reg prometheus.Registerer) (*FlagMetrics, error) {
	m := &FlagMetrics{
		Raised: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_abuse_flags_total",
			Help: "Abuse flags raised (stored), by flag."}, []string{"flag"}),
		Cleared: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_abuse_flags_cleared_total",
			Help: "Abuse flags cleared by an admin, by flag."}, []string{"flag"}),
		Sightings: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_abuse_device_sightings_total",
			Help: "Device sightings (contest, window, device, user) consumed from the FLAGS stream."}),
		Released: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_abuse_rewards_released_total",
			Help: "Rewards released because the flags holding them were cleared."}),
		Refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_abuse_records_refused_total",
			Help: "Flag records that can never be stored (terminated, logged)."}),
	}
	for _, f := range []string{"uniform_timing", "shared_device"} {
		m.Raised.WithLabelValues(f)
		m.Cleared.WithLabelValues(f)
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Raised, err = register(reg, m.Raised); err != nil {
		return nil, err
	}
	if m.Cleared, err = register(reg, m.Cleared); err != nil {
		return nil, err
	}
	if m.Sightings, err = register(reg, m.Sightings); err != nil {
		return nil, err
	}
	if m.Released, err = register(reg, m.Released); err != nil {
		return nil, err
	}
	if m.Refused, err = register(reg, m.Refused); err != nil {
		return nil, err
	}
	return m, nil
}
