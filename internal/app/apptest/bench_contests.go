package apptest

import (
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// BenchContests are the contests of the replay benchmarks (replay's
// BenchmarkReplayVsRead, aggregator's BenchmarkEngineApplyReplay): a sum
// board with a daily cap on the wager model, and a best_n board by market
// on a formula, both open from now−2h to now+1h.
func BenchContests(tb testing.TB, now time.Time) []*contest.Contest {
	tb.Helper()
	win := fmt.Sprintf("window: {start: %s, end: %s}\nmax_event_delay: 3h\n", now.Add(-2*time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	var cs []*contest.Contest
	for _, y := range []string{
		"id: b_sum\ntitle: s\n" + win + "scoring: {model: wager, cap_per_user_per_day: 100000}\nleaderboard: {type: sum, tiebreakers: [earliest_finish]}\n",
		"id: b_best\ntitle: b\n" + win + "scoring: {formula: \"min(multiplier, 50) * 100\"}\nleaderboard: {type: best_n, n: 5, divisions: market}\n",
	} {
		c, err := contest.Parse("b.yml", []byte(y))
		if err != nil {
			tb.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}
