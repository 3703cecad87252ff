package etl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/etl"
	"github.com/rankstream/rankstream/etl/etltest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/testkit"
)

// docQuery is one numbered query of docs/analytics.md.
type docQuery struct{ title, sql string }

var docQueryRe = regexp.MustCompile("(?s)### (\\d+)\\. ([^\\n]+)\\n\\n```sql\\n(.*?)```")

func docQueries(t *testing.T) []docQuery {
	t.Helper()
	b, err := os.ReadFile("../docs/analytics.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []docQuery
	for _, m := range docQueryRe.FindAllStringSubmatch(string(b), -1) {
		out = append(out, docQuery{title: m[2], sql: strings.TrimSpace(m[3])})
	}
	if len(out) != 10 {
		t.Fatalf("docs/analytics.md has %d numbered queries, want 10", len(out))
	}
	return out
}

// analyticsFixture loads generated traffic, hourly and final snapshots and
// rewards through the ETL and waits until every table holds its source.
func analyticsFixture(t *testing.T) (driver.Conn, []*contest.Contest, []aggregator.StoredEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Now()
	cs := testContests(t, t0)
	st := startStreams(ctx, t, t.TempDir())
	su, pool, _ := pgSource(ctx, t)
	chURL := etltest.New(t)
	ch := etltest.Connect(t, chURL)
	publishTraffic(ctx, t, st.JS, 7, 2000, t0)
	want := tableCounts{standings: uint64(writeSnapshots(ctx, t, su, "etl_live", "hourly", 2, 100) +
		writeSnapshots(ctx, t, su, "etl_past", "final", 1, 30))}
	want.rewards = uint64(writeRewards(ctx, t, su, "etl_past", 20))
	runETL(t, etl.Options{URL: chURL, JS: st.JS, Rules: contest.NewRegistry(cs), DB: pool,
		FlushInterval: 50 * time.Millisecond, PollInterval: 50 * time.Millisecond})
	msgs := storedMessages(ctx, t, st.JS)
	want.events, want.accruals = uint64(len(msgs)), uint64(len(expectedAccruals(cs, msgs)))
	testkit.Eventually(t, time.Minute, func() error { return want.check(t, ch) })
	return ch, cs, msgs
}

// runQuery runs sql and returns its rows as strings.
func runQuery(t *testing.T, ch driver.Conn, sql string) [][]string {
	t.Helper()
	rows, err := ch.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	defer rows.Close()
	var out [][]string
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
		line := make([]string, len(vals))
		for i, v := range vals {
			line[i] = fmt.Sprint(reflect.ValueOf(v).Elem().Interface())
		}
		out = append(out, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	return out
}

func TestAnalyticsQueries(t *testing.T) {
	ch, cs, msgs := analyticsFixture(t)
	for i, q := range docQueries(t) {
		t.Run(fmt.Sprintf("%02d", i+1), func(t *testing.T) {
			rows := runQuery(t, ch, q.sql)
			if len(rows) == 0 {
				t.Fatalf("%s: no rows on the loaded data\n%s", q.title, q.sql)
			}
		})
	}
	t.Run("contest_daily", func(t *testing.T) { checkContestDaily(t, ch, cs, msgs) })
	t.Run("grafana", func(t *testing.T) { checkDashboard(t, ch) })
}

// checkContestDaily compares the view with the same figures computed from
// the recomputed accruals.
func checkContestDaily(t *testing.T, ch driver.Conn, cs []*contest.Contest, msgs []aggregator.StoredEvent) {
	bySeq := map[uint64]event.Event{}
	for _, m := range msgs {
		if ev, err := event.Parse(m.Data); err == nil {
			bySeq[m.Seq] = ev
		}
	}
	type agg struct {
		events, counted, rejected uint64
		points                    int64
		players                   map[string]bool
	}
	want := map[string]*agg{}
	for _, a := range expectedAccruals(cs, msgs) {
		ev := bySeq[a.Seq]
		k := a.Contest + "|" + ev.TS.UTC().Format("2006-01-02") + "|" + ev.Market
		g := want[k]
		if g == nil {
			g = &agg{players: map[string]bool{}}
			want[k] = g
		}
		g.events++
		g.players[ev.UserID] = true
		g.points += a.Points
		if a.Result == "counted" {
			g.counted++
		} else {
			g.rejected++
		}
	}
	var wantLines []string
	for k, g := range want {
		wantLines = append(wantLines, fmt.Sprintf("%s|%d|%d|%d|%d|%d", k, g.events, len(g.players), g.counted, g.rejected, g.points))
	}
	var gotLines []string
	for _, r := range runQuery(t, ch, "SELECT contest, toString(day), market, events, players, counted, rejected, points FROM contest_daily") {
		gotLines = append(gotLines, strings.Join(r, "|"))
	}
	sort.Strings(wantLines)
	sort.Strings(gotLines)
	if !reflect.DeepEqual(wantLines, gotLines) {
		t.Fatalf("contest_daily: %d rows, want %d\ngot  %v\nwant %v", len(gotLines), len(wantLines), head(gotLines), head(wantLines))
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title  string `json:"title"`
	Panels []struct {
		Title      string `json:"title"`
		Datasource struct {
			Type string `json:"type"`
		} `json:"datasource"`
		Targets []struct {
			RawSQL string `json:"rawSql"`
		} `json:"targets"`
	} `json:"panels"`
}

// checkDashboard parses the Grafana dashboard and runs every panel's SQL;
// the panels are the documented queries, in order.
func checkDashboard(t *testing.T, ch driver.Conn) {
	b, err := os.ReadFile("../deploy/grafana/dashboards/analytics.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("analytics.json: %v", err)
	}
	qs := docQueries(t)
	if len(d.Panels) != len(qs) {
		t.Fatalf("%d panels, want one per documented query (%d)", len(d.Panels), len(qs))
	}
	for i, p := range d.Panels {
		if p.Datasource.Type != "grafana-clickhouse-datasource" || len(p.Targets) == 0 {
			t.Fatalf("panel %q: datasource %q, %d targets", p.Title, p.Datasource.Type, len(p.Targets))
		}
		if p.Title != qs[i].title || strings.TrimSpace(p.Targets[0].RawSQL) != qs[i].sql {
			t.Errorf("panel %d %q differs from docs/analytics.md query %q", i+1, p.Title, qs[i].title)
		}
		for _, tg := range p.Targets {
			if rows := runQuery(t, ch, tg.RawSQL); len(rows) == 0 {
				t.Errorf("panel %q: no rows on the loaded data", p.Title)
			}
		}
	}
}
