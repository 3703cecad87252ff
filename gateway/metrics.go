package gateway

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/promreg"
)

// Metrics of the WebSocket gateway (rankstream_gateway_…).
type Metrics struct {
	// Connections is the number of open WebSocket connections.
	Connections prometheus.Gauge
	// Refused counts refused upgrades by reason (no_token, invalid_token,
	// expired_token, upgrade).
	Refused *prometheus.CounterVec
	// Sent counts messages written to clients, by type.
	Sent *prometheus.CounterVec
	// Replaced counts states replaced in a connection's queue before the
	// client took them (slow clients).
	Replaced prometheus.Counter
	// Dropped counts messages dropped because a connection's queue was full.
	Dropped prometheus.Counter
	// SnapshotErrors counts subscribe answers that could not read the board.
	SnapshotErrors prometheus.Counter
	// WriteErrors counts connections closed because a write failed or timed out.
	WriteErrors prometheus.Counter
	// SlowWrites counts batches the socket did not take at once, finished by
	// the connection's own goroutine (write pool).
	SlowWrites prometheus.Counter
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Collectors registered before on reg are shared.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rankstream_gateway_connections",
			Help: "Open WebSocket connections.",
		}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_gateway_refused_total",
			Help: "Refused WebSocket upgrades by reason.",
		}, []string{"reason"}),
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rankstream_gateway_sent_total",
			Help: "Messages written to WebSocket clients, by type.",
		}, []string{"type"}),
		Replaced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_gateway_replaced_total",
			Help: "States replaced by a newer one in a slow client's queue.",
		}),
		Dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_gateway_dropped_total",
			Help: "Messages dropped because a connection's queue was full.",
		}),
		SnapshotErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_gateway_snapshot_errors_total",
			Help: "Subscriptions whose current state could not be read.",
		}),
		WriteErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_gateway_write_errors_total",
			Help: "Connections closed on a failed or timed-out write.",
		}),
		SlowWrites: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rankstream_gateway_slow_writes_total",
			Help: "Batches of messages a client's socket did not take at once.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.Connections, err = register(reg, m.Connections); err != nil {
		return nil, err
	}
	if m.Refused, err = register(reg, m.Refused); err != nil {
		return nil, err
	}
	if m.Sent, err = register(reg, m.Sent); err != nil {
		return nil, err
	}
	if m.Replaced, err = register(reg, m.Replaced); err != nil {
		return nil, err
	}
	if m.Dropped, err = register(reg, m.Dropped); err != nil {
		return nil, err
	}
	if m.SnapshotErrors, err = register(reg, m.SnapshotErrors); err != nil {
		return nil, err
	}
	if m.WriteErrors, err = register(reg, m.WriteErrors); err != nil {
		return nil, err
	}
	if m.SlowWrites, err = register(reg, m.SlowWrites); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("gateway: register metrics: %w", err)
	}
	return c, nil
}
