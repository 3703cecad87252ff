package replay_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// The contests of the replay tests, after aggregator/property_test.go:
// every board type, divisions, caps, the rate limit, recurring windows,
// lateness and bonus funds; the traffic is testkit.Traffic.

func mustParse(t *testing.T, name, yml string) *contest.Contest {
	t.Helper()
	c, err := contest.Parse(name, []byte(yml))
	if err != nil {
		t.Fatalf("contest %s: %v", name, err)
	}
	return c
}

func propertyContests(t *testing.T, t0 time.Time) []*contest.Contest {
	f := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	long := fmt.Sprintf("window: {start: %s, end: %s}\n", f(t0.Add(-96*time.Hour)), f(t0.Add(time.Hour)))
	return []*contest.Contest{
		mustParse(t, "sum.yml", `id: p_sum
title: Sum with caps
`+long+`lateness: 60s
max_event_delay: 100h
scope: {providers: [acme, beta]}
eligibility: {min_bet_minor: 10}
scoring: {formula: "min(multiplier, 5) * 10", bonus_coefficient: 0.5, cap_per_event: 40, cap_per_user_per_day: 100}
leaderboard: {type: sum, tiebreakers: [highest_single_multiplier, fewest_rounds, earliest_finish]}
anti_abuse: {max_events_per_user_per_sec: 2}
`),
		mustParse(t, "best.yml", `id: p_best
title: Best 3
`+long+`lateness: 60s
max_event_delay: 100h
eligibility: {event_types: [round_end, spin], min_round_duration_ms: 500, exclude_asn: [hosting]}
scoring: {model: wager, cap_per_event: 30}
leaderboard: {type: best_n, n: 3, tiebreakers: [earliest_finish, most_rounds]}
`),
		mustParse(t, "max.yml", `id: p_max
title: Max per market
`+long+`lateness: 60s
max_event_delay: 100h
scope: {markets: [DE, SE], games: ["g_*"]}
scoring: {model: multiplier_log, bonus_coefficient: 0}
leaderboard: {type: max, order: asc, divisions: market, tiebreakers: [earliest_finish]}
`),
		mustParse(t, "daily.yml", `id: p_daily
title: Six-hourly Kyiv
schedule: {cron: "0 */6 * * *", duration: 6h, tz: Europe/Kyiv}
lateness: 120h
max_event_delay: 100h
scoring: {formula: "floor(win / 10) + 1", cap_per_user_per_day: 50}
leaderboard: {type: sum}
`),
	}
}
