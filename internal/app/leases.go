package app

import (
	"fmt"

	"github.com/rankstream/rankstream/aggregator"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/streams"
)

// leaseJS is the JetStream context of the role leases (board groups,
// notifier, snapshotter, etl, flags): one NATS connection of the process's
// own for lease traffic, opened on first use, so that a refresh does not
// wait behind a catch-up's messages on the main connection (the shared
// scorer opens its own for the same reason, aggregator/shared.go).
func (a *App) leaseJS() (jetstream.JetStream, error) {
	if a.leases != nil {
		return a.leases, nil
	}
	nc, js, err := streams.LeaseConn(a.Streams.JS)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a.cleanup.push(nc.Close)
	a.leases = js
	return js, nil
}

// roleMetrics is the aggregator metrics struct of this process, registered
// once: the scorer and ranker report there, and so does every role lease
// (ranker groups, notifier, snapshotter, etl, flags) as
// rankstream_leader{lease}.
func (a *App) roleMetrics() *aggregator.Metrics {
	if a.aggMetrics == nil {
		a.aggMetrics = aggregator.NewMetrics(a.opts.Registry)
	}
	return a.aggMetrics
}
