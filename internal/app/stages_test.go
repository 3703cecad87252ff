package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/internal/app"
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
