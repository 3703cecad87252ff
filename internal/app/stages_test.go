package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

// An --only set that cannot work is refused before anything is started,
// with every reason in the error.
func TestImpossibleStageSetsRefused(t *testing.T) {
	pg := "postgres://127.0.0.1:1/x"
	cases := []struct {
		only       []string
		pg         string
		wantReason []string
	}{
		{only: []string{app.StageSnapshotter, app.StageAPI}, pg: pg, wantReason: []string{"snapshotter needs aggregator"}},
		{only: []string{app.StageAggregator, app.StageSnapshotter}, wantReason: []string{"snapshotter needs postgres.url"}},
		{only: []string{app.StageRewards}, wantReason: []string{"rewards needs postgres.url"}},
		{only: []string{app.StageETL}, pg: pg, wantReason: []string{"etl needs clickhouse.url"}},
		{only: []string{app.StageNotifier, app.StageRewards, app.StageSnapshotter}, wantReason: []string{"snapshotter needs aggregator", "rewards needs postgres.url"}},
		{only: []string{"scorer"}, wantReason: []string{`unknown stage "scorer"`}},
	}
	for _, c := range cases {
		_, err := app.New(context.Background(), app.Options{Only: c.only, PostgresURL: c.pg}, nil)
		if err == nil {
			t.Errorf("--only %v: accepted", c.only)
			continue
		}
		for _, r := range c.wantReason {
			if !strings.Contains(err.Error(), r) {
				t.Errorf("--only %v: error %q does not say %q", c.only, err, r)
			}
		}
		if c.only[0] != "scorer" && !errors.Is(err, app.ErrStages) {
			t.Errorf("--only %v: %v is not ErrStages", c.only, err)
		}
	}
}

// TestAllStagesWithoutPostgres: `rankstream run` without --only and
// without postgres.url runs; the stages that need Postgres (snapshotter,
// rewards) stay off instead of failing the start.
func TestAllStagesWithoutPostgres(t *testing.T) {
	now := time.Now().UTC()
	c, err := contest.Parse("t.yml", []byte("id: t_nopg\ntitle: x\n"+
		"window: {start: "+now.Add(-time.Hour).Format(time.RFC3339)+", end: "+now.Add(time.Hour).Format(time.RFC3339)+"}\n"+
		"scoring: {model: wager}\nleaderboard: {type: sum}\n"+
		"rewards: {pool: {currency: EUR, total_minor: 100}, distribution: ladder, ladder: [{ranks: \"1\", share: 1}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{HTTPAddr: "127.0.0.1:0",
		Streams:  streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 2},
		RedisURL: testkit.RedisURL(), RedisPrefix: testkit.RedisPrefix(t, "nopg"), Contests: []*contest.Contest{c}}, nil)
	if err != nil {
		t.Fatalf("every stage, no postgres.url: %v", err)
	}
	a.Stop()
	if a.Rewards != nil || a.Snapshotter != nil {
		t.Errorf("rewards %v / snapshotter %v running without Postgres", a.Rewards != nil, a.Snapshotter != nil)
	}
}
