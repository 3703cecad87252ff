// Package natstest is kept for callers not yet moved to internal/testkit,
// which holds the code: use testkit.Cluster and testkit.URLs.
package natstest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/rankstream/rankstream/internal/testkit"
)

// FreePort is testkit.FreePort.
func FreePort(t testing.TB) int { return testkit.FreePort(t) }

// StartCluster is testkit.Cluster.
func StartCluster(t testing.TB, n int) []*server.Server { return testkit.Cluster(t, n) }

// URLs is testkit.URLs.
func URLs(nodes []*server.Server) string { return testkit.URLs(nodes) }
