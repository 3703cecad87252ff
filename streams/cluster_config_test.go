package streams

import (
	"fmt"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// The shipped 3-node cluster configuration parses, fsyncs before acks and
// routes to all three nodes.
func TestClusterConfigFiles(t *testing.T) {
	for i := 1; i <= 3; i++ {
		f := fmt.Sprintf("../deploy/nats-cluster/n%d.conf", i)
		o, err := server.ProcessConfigFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if o.ServerName != fmt.Sprintf("n%d", i) || !o.JetStream || !o.SyncAlways {
			t.Errorf("%s: server_name %q jetstream %v sync always %v", f, o.ServerName, o.JetStream, o.SyncAlways)
		}
		if o.Cluster.Name != "rankstream" || len(o.Routes) != 3 {
			t.Errorf("%s: cluster %q with %d routes, want rankstream with 3", f, o.Cluster.Name, len(o.Routes))
		}
	}
}
