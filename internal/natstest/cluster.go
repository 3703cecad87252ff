// Package natstest starts real nats-server clusters for tests: n clustered
// nodes with JetStream on loopback ports.
package natstest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rankstream/rankstream/internal/testkit"
)

// FreePort is testkit.FreePort.
func FreePort(t testing.TB) int { return testkit.FreePort(t) }

// StartCluster starts n clustered nats-server nodes with JetStream on
// loopback ports, stopped at the test's end, and waits until JetStream has a
// meta leader.
func StartCluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	return StartClusterConf(t, n, "")
}

// SystemAccountConf is a configuration for StartClusterConf with a system
// account (user sys/sys: the notifiers' SUBSZ/CONNZ interest polls) and the
// app's JetStream account, in which anonymous connections land.
const SystemAccountConf = `
accounts {
  SYS: { users: [{user: sys, password: sys}] }
  APP: { jetstream: enabled, users: [{user: app, password: app}] }
}
system_account: SYS
no_auth_user: app
`

// StartClusterConf is StartCluster with every node also reading the
// nats-server configuration conf (e.g. accounts and a system account);
// empty: none.
func StartClusterConf(t testing.TB, n int, conf string) []*server.Server {
	t.Helper()
	var confFile string
	if conf != "" {
		confFile = filepath.Join(t.TempDir(), "nats.conf")
		if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ports := make([]int, n)
	var routes []string
	for i := range ports {
		ports[i] = FreePort(t)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	var nodes []*server.Server
	for i := range n {
		opts := &server.Options{}
		if confFile != "" {
			if err := opts.ProcessConfigFile(confFile); err != nil {
				t.Fatal(err)
			}
		}
		opts.ServerName = fmt.Sprintf("n%d", i+1)
		opts.Host, opts.Port = "127.0.0.1", -1
		opts.JetStream, opts.StoreDir = true, t.TempDir()
		opts.NoSigs, opts.MaxPayload = true, 8<<20
		opts.Cluster = server.ClusterOpts{Name: "rankstream-test", Host: "127.0.0.1", Port: ports[i]}
		opts.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		ns, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go ns.Start()
		nodes = append(nodes, ns)
		t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	}
	for _, ns := range nodes {
		if !ns.ReadyForConnections(20 * time.Second) {
			t.Fatalf("%s not ready", ns.Name())
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, ns := range nodes {
			if ns.JetStreamIsLeader() {
				return nodes
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no JetStream meta leader within 30s")
	return nil
}

// URLs is the comma-separated client URL list of nodes.
func URLs(nodes []*server.Server) string {
	var u []string
	for _, ns := range nodes {
		u = append(u, ns.ClientURL())
	}
	return strings.Join(u, ",")
}
