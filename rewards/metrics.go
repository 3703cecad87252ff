package rewards

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Metrics of the rewards stage and API (rankstream_rewards_…).
type Metrics struct {
	Granted     prometheus.Counter
	GrantErrors prometheus.Counter
	// Claims by result: granted, repeated, not_found, expired, held,
	// unauthorized, bad_request, error.
	Claims *prometheus.CounterVec
	// BoardPaid is the amount a board pays out (minor units), set when its
	// payouts are computed, by contest and division.
	BoardPaid *prometheus.GaugeVec
	// BoardPool is a board's pool, alongside BoardPaid.
	BoardPool *prometheus.GaugeVec
	Relayed   prometheus.Counter
	Boards    prometheus.Counter
	Missions  prometheus.Counter
	// Flags are the abuse flag metrics (flags_metrics.go).
	Flags *FlagMetrics
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Collectors registered before on reg are shared.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Granted: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_rewards_granted_total",
			Help: "Rewards granted (ledger posting and outbox row committed) by this process."}),
		GrantErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_rewards_grant_errors_total",
			Help: "Failed grant, payout or relay rounds (retried)."}),
		Claims: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rankstream_rewards_claims_total",
			Help: "Claims by result."}, []string{"result"}),
		BoardPaid: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_rewards_board_paid_minor",
			Help: "What the last computed board of a contest division pays out, minor units."}, []string{"contest", "division"}),
		BoardPool: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rankstream_rewards_board_pool_minor",
			Help: "The pool of the last computed board of a contest division, minor units."}, []string{"contest", "division"}),
		Relayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_rewards_relayed_total",
			Help: "Outbox messages (wallet postings and notices) published."}),
		Boards: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_rewards_boards_total",
			Help: "Final boards whose payouts this process computed and stored."}),
		Missions: prometheus.NewCounter(prometheus.CounterOpts{Name: "rankstream_rewards_mission_steps_total",
			Help: "Mission step completions consumed from the MISSIONS stream."}),
	}
	var err error
	if m.Flags, err = newFlagMetrics(reg); err != nil {
		return nil, err
	}
	if reg == nil {
		return m, nil
	}
	if m.Granted, err = register(reg, m.Granted); err != nil {
		return nil, err
	}
	if m.GrantErrors, err = register(reg, m.GrantErrors); err != nil {
		return nil, err
	}
	if m.Claims, err = register(reg, m.Claims); err != nil {
		return nil, err
	}
	if m.BoardPaid, err = register(reg, m.BoardPaid); err != nil {
		return nil, err
	}
	if m.BoardPool, err = register(reg, m.BoardPool); err != nil {
		return nil, err
	}
	if m.Relayed, err = register(reg, m.Relayed); err != nil {
		return nil, err
	}
	if m.Boards, err = register(reg, m.Boards); err != nil {
		return nil, err
	}
	if m.Missions, err = register(reg, m.Missions); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("rewards: register metrics: %w", err)
	}
	return c, nil
}
