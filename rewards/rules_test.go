package rewards

import (
	"errors"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

const contestHead = `id: t_r
title: R
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
`

func parseContest(t *testing.T, body string) *contest.Contest {
	t.Helper()
	c, err := contest.Parse("r.yml", []byte(contestHead+body))
	if err != nil {
		t.Fatalf("contest parse: %v", err)
	}
	return c
}

func TestParseRulesGood(t *testing.T) {
	c := parseContest(t, `rewards:
  pool: {currency: EUR, total_minor: 1000000}
  distribution: ladder
  ladder: [{ranks: "1", share: 0.30}, {ranks: "2", share: 0.20}, {ranks: "3-10", share: 0.05}]
  min_score: 1
  kind: bonus
  dispute_window: 10m
  claim_window: 48h
  auto_grant: true
`)
	r, err := ParseRules(c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Currency != "EUR" || r.TotalMinor != 1000000 || r.Distribution != Ladder || len(r.Ladder) != 3 ||
		r.Ladder[2].From != 3 || r.Ladder[2].To != 10 || r.Ladder[0].Share.RatString() != "3/10" ||
		*r.MinScore != 1 || r.Kind != KindBonus || r.DisputeWindow.Minutes() != 10 || r.ClaimWindow.Hours() != 48 ||
		!r.AutoGrant || !r.Desc {
		t.Fatalf("rules = %+v", r)
	}
	none, err := ParseRules(parseContest(t, ""))
	if none != nil || err != nil {
		t.Fatalf("no rewards: %v %v", none, err)
	}
}

func TestParseRulesBad(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"overlap", `rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: ladder
  ladder:
    - {ranks: "1-3", share: 0.1}
    - {ranks: "3", share: 0.1}
`, `r.yml:10:15: rewards.ladder[1].ranks: "3" overlaps ranks 1-3`},
		{"sum over one", `rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: ladder
  ladder: [{ranks: "1", share: 0.5}, {ranks: "2-3", share: 0.26}]
`, `r.yml:8:11: rewards.ladder: shares × positions add up to 1.0200 > 1`},
		{"unknown field", `rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: ladder
  ladder: [{ranks: "1", share: 1}]
  bogus: 1
`, `r.yml:9:3: rewards: unknown field "bogus"`},
		{"bad ranks", `rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: ladder
  ladder: [{ranks: "3-1", share: 0.1}]
`, `r.yml:8:20: rewards.ladder[0].ranks: "3-1" ends before it starts`},
		{"proportional asc", `leaderboard: {order: asc}
rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: proportional
`, `r.yml:8:17: rewards.distribution: proportional is for desc boards only`},
		{"tickets over pool", `rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: tickets
  tickets: {points_per_ticket: 10, prizes: [{count: 2, amount_minor: 60}]}
`, `r.yml:8:44: rewards.tickets.prizes: add up to 120 > pool total_minor 100`},
		{"missing pool", `rewards:
  distribution: proportional
`, `r.yml:6:3: rewards: missing required field "pool"`},
		{"kind", `rewards:
  pool: {currency: eur, total_minor: 100}
  distribution: proportional
  kind: gold
  claim_window: soon
`, "r.yml:6:20: rewards.pool.currency: must be 2..8 of [A-Z], got \"eur\"\nr.yml:8:9: rewards.kind: must be one of cash, bonus, freespins, points, got \"gold\"\nr.yml:9:17: rewards.claim_window: must be a duration >= 0 like 10m or 72h, got \"soon\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules(parseContest(t, tc.body))
			var le contest.LintErrors
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want lint errors", err)
			}
			if got := strings.TrimSpace(le.Error()); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
