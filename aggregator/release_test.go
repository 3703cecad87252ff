package aggregator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// A window past end + lateness + retention.finished_windows is released
// everywhere: the scorer's user state, the ranker's board and its metric
// series, the read-model keys and the SCORES standings; a long window's
// board stays.
func TestFinishedWindowReleased(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	now := time.Now().UTC()
	f := func(tm time.Time) string { return tm.Format(time.RFC3339) }
	cs := []*contest.Contest{
		mustParse(t, "short.yml", fmt.Sprintf("id: r_short\ntitle: s\nwindow: {start: %s, end: %s}\nlateness: 1s\nscoring: {model: wager}\nleaderboard: {type: sum}\n",
			f(now.Add(-time.Hour)), f(now.Add(2*time.Second)))),
		mustParse(t, "long.yml", fmt.Sprintf("id: r_long\ntitle: l\nwindow: {start: %s, end: %s}\nscoring: {model: wager}\nleaderboard: {type: sum}\n",
			f(now.Add(-time.Hour)), f(now.Add(time.Hour)))),
	}
	p := startPipeline(t, cs, streams.Options{Partitions: 4}, 2*time.Second)
	n := 0
	send := func() {
		n++
		user := fmt.Sprintf("u%d", n%5)
		body := fmt.Sprintf(`{"event_id":"ev%d","ts":%q,"type":"bet","user_id":%q,"game":{"id":"g1","provider":"acme"},"bet":{"amount_minor":10,"currency":"EUR"}}`,
			n, time.Now().UTC().Format(time.RFC3339Nano), user)
		p.publishNATS(ctx, "acme", user, fmt.Sprintf("ev%d", n), []byte(body))
	}
	for i := 0; i < 20; i++ {
		send()
	}
	short := cs[0].Window.Start.Unix()
	// The ranker holds the board first and writes Redis on its next tick.
	waitFor(t, 20*time.Second, "the short board and its read-model keys", func() bool {
		return hasBoard(p, "r_short") && len(p.rdb.Keys(ctx, p.prefix+"b:r_short:*").Val()) > 0 &&
			scoresOf(ctx, t, p, fmt.Sprintf("scores.*.*.r_short.%d.*.*", short)) > 0 // the purge below is not vacuous
	}, send)
	// Stream time moves on with traffic for the long window only.
	waitFor(t, 30*time.Second, "the release of the short window", func() bool {
		return !hasBoard(p, "r_short") && len(p.rdb.Keys(ctx, p.prefix+"b:r_short:*").Val()) == 0 &&
			scoresOf(ctx, t, p, fmt.Sprintf("scores.*.*.r_short.%d.*.*", short)) == 0 &&
			gauge(t, p, "rankstream_scorer_state", "user_windows") == 5 // r_long's users only
	}, send)
	if !hasBoard(p, "r_long") {
		t.Fatal("the long window's board was released too")
	}
	for _, mf := range mustGather(t, p) {
		if mf.GetName() != "rankstream_board_entries" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "contest" && l.GetValue() == "r_short" {
					t.Errorf("metric series of the released board remains: %v", m.GetLabel())
				}
			}
		}
	}
}

func hasBoard(p *pipeline, contestID string) bool {
	for _, id := range p.ranker.BoardIDs() {
		if id.Contest == contestID {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, calling tick (if any) between polls;
// it fails the test after d (testkit.Eventually).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, tick func()) {
	t.Helper()
	testkit.Eventually(t, d, func() error {
		if cond() {
			return nil
		}
		if tick != nil {
			tick()
		}
		return fmt.Errorf("no %s yet", what)
	})
}

func scoresOf(ctx context.Context, t *testing.T, p *pipeline, filter string) uint64 {
	st, err := p.st.JS.Stream(ctx, streams.Scores)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

func mustGather(t *testing.T, p *pipeline) []*dto.MetricFamily {
	mfs, err := p.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// gauge is the value of a gauge vector's series whose one label is value.
func gauge(t *testing.T, p *pipeline, name, value string) float64 {
	for _, mf := range mustGather(t, p) {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.EqualFold(l.GetValue(), value) {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}
