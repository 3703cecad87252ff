package testkit

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSOptions are the server options of NATS: JetStream on a free loopback
// port with its store in a directory of the test, quiet, 8 MiB payloads.
// mods change them (a fixed StoreDir and Port to restart on the same state).
func NATSOptions(t testing.TB, mods ...func(*server.Options)) *server.Options {
	t.Helper()
	opts := &server.Options{
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoLog:      true,
		NoSigs:     true,
		MaxPayload: 8 << 20,
	}
	for _, m := range mods {
		m(opts)
	}
	return opts
}

// NATS starts an embedded nats-server with JetStream (NATSOptions with mods),
// waits until it takes connections and shuts it down when the test ends.
func NATS(t testing.TB, mods ...func(*server.Options)) *server.Server {
	t.Helper()
	return StartNATS(t, NATSOptions(t, mods...))
}

// StartNATS starts a server with opts, shut down when the test ends (Shutdown
// is safe to call earlier, e.g. to kill it).
func StartNATS(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("testkit: nats server: %v", err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(20 * time.Second) {
		t.Fatalf("testkit: nats server %s not ready within 20s", ns.Name())
	}
	return ns
}

// Connect connects to url and opens its JetStream API; closed when the test
// ends.
func Connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("testkit: connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testkit: jetstream: %v", err)
	}
	return nc, js
}

// JetStream starts NATS (with mods) and connects to it.
func JetStream(t testing.TB, mods ...func(*server.Options)) (*server.Server, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	ns := NATS(t, mods...)
	nc, js := Connect(t, ns.ClientURL())
	return ns, nc, js
}

// FreePort is a loopback TCP port free at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Cluster starts n clustered nats-server nodes with JetStream on loopback
// ports, stopped when the test ends, and waits until JetStream has a meta
// leader.
func Cluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	ports := make([]int, n)
	var routes []string
	for i := range ports {
		ports[i] = FreePort(t)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	nodes := make([]*server.Server, n)
	for i := range n {
		nodes[i] = StartNATS(t, NATSOptions(t, func(o *server.Options) {
			o.ServerName = fmt.Sprintf("n%d", i+1)
			o.Cluster = server.ClusterOpts{Name: "rankstream-test", Host: "127.0.0.1", Port: ports[i]}
			o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		}))
	}
	Eventually(t, 30*time.Second, func() error {
		for _, ns := range nodes {
			if !ns.JetStreamIsLeader() {
				continue
			}
			// The leader places replicas only on peers it has current
			// stats of ("no suitable peers for placement" before that).
			if peers := ns.JetStreamClusterPeers(); len(peers) < n {
				return fmt.Errorf("meta leader %s sees %d of %d peers online", ns.Name(), len(peers), n)
			}
			return nil
		}
		return fmt.Errorf("no JetStream meta leader among %d nodes", n)
	})
	return nodes
}

// URLs is the comma-separated client URL list of nodes.
func URLs(nodes []*server.Server) string {
	u := make([]string, len(nodes))
	for i, ns := range nodes {
		u[i] = ns.ClientURL()
	}
	return strings.Join(u, ",")
}
