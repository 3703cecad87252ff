package notifier

import "github.com/prometheus/client_golang/prometheus"

// noticeMetrics are the notices' metrics (rankstream_notifier_notice…).
type noticeMetrics struct {
	// Sent counts notices published, by kind.
	Sent *prometheus.CounterVec
	// ClaimErrors counts sent-state records that could not be written (the
	// notices wait for the next round) or were written by another process
	// first (its notices stand, ours are dropped).
	ClaimErrors *prometheus.CounterVec
	// Users is the number of (board, user) notice states kept.
	Users prometheus.Gauge
}

func newNoticeMetrics(reg prometheus.Registerer) (*noticeMetrics, error) {
	m := &noticeMetrics{
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_notifier_notices_total",
			Help: "Notices published on lb.<contest>.user.<id>.notice, by kind.",
		}, []string{"kind"}),
		ClaimErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_notifier_notice_claim_errors_total",
			Help: "Notice records not written: error (retried) or conflict (another process sent them).",
		}, []string{"reason"}),
		Users: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rankstream_notifier_notice_users",
			Help: "(board, user) notice states kept in memory.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Sent, err = register(reg, m.Sent); err != nil {
		return nil, err
	}
	if m.ClaimErrors, err = register(reg, m.ClaimErrors); err != nil {
		return nil, err
	}
	if m.Users, err = register(reg, m.Users); err != nil {
		return nil, err
	}
	return m, nil
}
