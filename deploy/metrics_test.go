package deploy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/etl/etltest"
	"github.com/rankstream/rankstream/ingest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
)

// synthesized are series Prometheus itself makes.
var synthesized = map[string]bool{"up": true}

// metricName finds metric names in PromQL: rankstream's, the Go and process
// collectors', and up.
var metricName = regexp.MustCompile(`\b((?:rankstream|process|go)_[A-Za-z0-9_]+|up)\b`)

// queriedMetrics returns every metric named by the dashboards' queries and
// the alert rules, with where each is used.
func queriedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	add := func(where, expr string) {
		for _, m := range metricName.FindAllString(expr, -1) {
			used[m] = append(used[m], where)
		}
	}
	files, err := os.ReadDir("grafana/dashboards")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile("grafana/dashboards/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		walkPromQL(doc, func(expr string) { add(f.Name(), expr) })
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	data, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			add("alerts.yml:"+r.Alert, r.Expr)
		}
	}
	return used
}

// walkPromQL calls fn with every Prometheus query of a dashboard: the expr
// of targets and the query/definition of template variables. ClickHouse
// targets (rawSql) are not PromQL.
func walkPromQL(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && (k == "expr" || k == "definition" || k == "query") {
				fn(s)
				continue
			}
			walkPromQL(val, fn)
		}
	case []any:
		for _, val := range x {
			walkPromQL(val, fn)
		}
	}
}

// scrape reads /metrics: family name -> type, and the value of every sample
// line (name{labels} -> value).
func scrape(t *testing.T, a *app.App) (map[string]string, map[string]float64) {
	t.Helper()
	resp, err := http.Get("http://" + a.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	types, samples := map[string]string{}, map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			samples[line[:i]] = v
		}
	}
	return types, samples
}

// exposed reports whether name is a family of the scrape, or a histogram's
// _bucket/_sum/_count series.
func exposed(types map[string]string, name string) bool {
	if _, ok := types[name]; ok {
		return true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suf); ok && (types[base] == "histogram" || types[base] == "summary") {
			return true
		}
	}
	return false
}

// TestDashboardsAndAlertsNameExposedMetrics runs the whole process with
// traffic through both doors, a bad and a late event, a query and a
// snapshot, then checks that every metric the dashboards and alert rules
// query is on /metrics, and that the SLO histograms have observations.
func TestDashboardsAndAlertsNameExposedMetrics(t *testing.T) {
	used := queriedMetrics(t)
	if len(used) < 20 {
		t.Fatalf("found only %d metric names in the dashboards and alerts: %v", len(used), used)
	}
	now := time.Now().UTC()
	live := mustContest(t, "ops_live", now.Add(-time.Hour), now.Add(time.Hour), "1h")
	ended := mustContest(t, "ops_ended", now.Add(-3*time.Hour), now.Add(-2*time.Hour), "1m")
	const secret = "ops-test-secret"
	a := apptest.Start(t, apptest.NewEnv(t), []*contest.Contest{live, ended}, func(o *app.Options) {
		o.Providers = map[string]string{"acme": secret}
		o.SnapshotInterval = time.Second
		o.ClickHouseURL = etltest.New(t) // the etl stage's metrics too
	})
	for i := range 20 {
		id := fmt.Sprintf("ev-%d", i)
		user := fmt.Sprintf("u_%d", i%5)
		apptest.Publish(t, a, "acme", user, id, apptest.Event(id, user, "acme", now.Add(-time.Duration(i)*time.Second), 100+int64(i), 0, "DE"))
	}
	apptest.Publish(t, a, "acme", "u_bad", "bad-1", []byte(`{"event_id":"bad-1","trace_id":"tr-bad"`))
	apptest.Publish(t, a, "acme", "u_late", "late-1", apptest.Event("late-1", "u_late", "acme", now.Add(-150*time.Minute), 100, 0, "DE"))
	postEvent(t, a, secret, apptest.Event("http-1", "u_http", "acme", now, 500, 0, "DE"))
	apptest.Settle(t, a)
	if resp, err := http.Get("http://" + a.Addr() + "/v1/leaderboards/ops_live?top=10"); err != nil {
		t.Fatal(err)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	var missing []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		types, samples := scrape(t, a)
		missing = missing[:0]
		for name, where := range used {
			if synthesized[name] {
				continue
			}
			if !exposed(types, name) {
				missing = append(missing, fmt.Sprintf("%s (used in %s)", name, strings.Join(dedup(where), ", ")))
			}
		}
		for _, s := range []string{`rankstream_event_latency_seconds_count{stage="scored"}`,
			`rankstream_event_latency_seconds_count{stage="ranked"}`,
			`rankstream_event_latency_seconds_count{stage="visible"}`,
			`rankstream_notifier_event_to_push_seconds_count`} {
			if samples[s] == 0 {
				missing = append(missing, s+" has no observations")
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error("not exposed by a running instance: " + m)
	}
}

func mustContest(t *testing.T, id string, start, end time.Time, lateness string) *contest.Contest {
	t.Helper()
	c, err := contest.Parse(id+".yml", []byte(fmt.Sprintf(
		"id: %s\ntitle: %s\nwindow: {start: %s, end: %s}\nlateness: %s\nscoring: {model: wager}\nleaderboard: {type: sum}\n",
		id, id, start.Truncate(time.Second).Format(time.RFC3339), end.Truncate(time.Second).Format(time.RFC3339), lateness)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// postEvent sends one event through the signed webhook and wants 202.
func postEvent(t *testing.T, a *app.App, secret string, body []byte) {
	t.Helper()
	ts := time.Now().Unix()
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/v1/events", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(ingest.HeaderProviderID, "acme")
	req.Header.Set(ingest.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(ingest.HeaderSignature, ingest.Sign(secret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /v1/events: %d %s", resp.StatusCode, b)
	}
}

func dedup(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
