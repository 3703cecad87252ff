package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtool finds promtool (Debian package prometheus; ./scripts/services.sh
// --promtool installs it). Missing in CI (CI=true) is a failure, not a skip.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	msg := "promtool not found: install it with ./scripts/services.sh --promtool (Debian package prometheus)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func runPromtool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(promtool(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAlertRulesPassPromtool(t *testing.T) {
	out := runPromtool(t, "check", "rules", "prometheus/alerts.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules: %s", out)
	}
	// The rules' own unit tests: each alert fires on the series it is for,
	// after its for: delay, with its labels and annotations.
	runPromtool(t, "test", "rules", "prometheus/alerts_test.yml")
}

// TestPrometheusConfigPassesPromtool checks prometheus.yml with its rule file
// at the path the compose file mounts it on, rewritten to the repository's.
func TestPrometheusConfigPassesPromtool(t *testing.T) {
	data, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	const mounted = "/etc/prometheus/alerts.yml"
	if !strings.Contains(string(data), mounted) {
		t.Fatalf("prometheus.yml does not load %s (docker-compose.yml mounts alerts.yml there)", mounted)
	}
	rules, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(data), mounted, rules)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runPromtool(t, "check", "config", cfg)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check config: %s", out)
	}
	// Every scrape target is a rankstream service of the compose file.
	c := loadCompose(t)
	for _, target := range []string{"front:8080", "aggregator-1:8080", "aggregator-2:8080"} {
		if !strings.Contains(string(data), target) {
			t.Errorf("prometheus.yml does not scrape %s", target)
		}
		if _, ok := c.Services[strings.Split(target, ":")[0]]; !ok {
			t.Errorf("prometheus.yml scrapes %s, not a compose service", target)
		}
	}
}
