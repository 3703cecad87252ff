package etltest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// ServerBinary is Debian's clickhouse-server.
const ServerBinary = "/usr/sbin/clickhouse-server"

// Server is a private clickhouse-server on its own ports and data
// directory, for tests that stop and start ClickHouse.
type Server struct {
	t    testing.TB
	dir  string
	port int
	cmd  *exec.Cmd
}

const serverConfig = `<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>%[1]s/server.log</log><errorlog>%[1]s/server.err.log</errorlog></logger>
    <tcp_port>%[2]d</tcp_port>
    <http_port>%[3]d</http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>%[1]s/data/</path>
    <tmp_path>%[1]s/tmp/</tmp_path>
    <user_files_path>%[1]s/user_files/</user_files_path>
    <users_config>%[1]s/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>5368709120</mark_cache_size>
</yandex>
`

const usersConfig = `<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`

// StartServer starts a private server (stopped when the test ends) and
// returns it; URL names its default database.
func StartServer(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(ServerBinary); err != nil {
		t.Fatalf("etltest: %s: %v (scripts/services.sh --clickhouse installs it)", ServerBinary, err)
	}
	s := &Server{t: t, dir: t.TempDir(), port: freePort(t)}
	cfg := fmt.Sprintf(serverConfig, s.dir, s.port, freePort(t))
	if err := os.WriteFile(filepath.Join(s.dir, "config.xml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "users.xml"), []byte(usersConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL of the server's default database.
func (s *Server) URL() string { return fmt.Sprintf("clickhouse://127.0.0.1:%d/default", s.port) }

// Start (re)starts the server on its data and waits for its port.
func (s *Server) Start() {
	s.t.Helper()
	s.cmd = exec.Command(ServerBinary, "--config-file="+filepath.Join(s.dir, "config.xml"))
	s.cmd.Dir = s.dir
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("etltest: start clickhouse-server: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "server.err.log"))
			s.t.Fatalf("etltest: clickhouse-server did not listen on %d: %s", s.port, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL, like a crash) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
