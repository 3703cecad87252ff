package rewards

import (
	"fmt"
	"testing"

	"github.com/rankstream/rankstream/contest"
)

// TestZone: the prize zone agrees with Compute: a position is in the zone
// exactly when Compute pays it on a board of those scores.
func TestZone(t *testing.T) {
	base := "id: z\ntitle: Z\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\n"
	blocks := []string{
		`rewards: {pool: {currency: EUR, total_minor: 1000}, distribution: ladder, ladder: [{ranks: "1", share: 0.5}, {ranks: "3-4", share: 0.1}, {ranks: "5", share: 0.0001}], min_score: 20}`,
		`rewards: {pool: {currency: EUR, total_minor: 1000}, distribution: proportional, proportional: {places: 3}}`,
		`rewards: {pool: {currency: EUR, total_minor: 1000}, distribution: proportional}`,
	}
	scores := []int64{90, 80, 70, 30, 10, 0}
	for _, blk := range blocks {
		c, err := contest.Parse("z.yml", []byte(base+blk+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRules(c)
		if err != nil {
			t.Fatal(err)
		}
		entries := make([]Entry, len(scores))
		for i, s := range scores {
			entries[i] = Entry{Pos: i + 1, User: fmt.Sprintf("u%d", i), Score: s}
		}
		res, err := Compute(r, Board{Contest: "z"}, entries)
		if err != nil {
			t.Fatal(err)
		}
		paid := map[int]int64{}
		for _, p := range res.Payouts {
			paid[p.Pos] = p.AmountMinor
		}
		z := ContestZone(c)
		for _, e := range entries {
			if got, want := z.Wins(e.Pos, e.Score), paid[e.Pos] > 0; got != want {
				t.Errorf("%s: pos %d score %d: zone %v, paid %d", r.Distribution, e.Pos, e.Score, got, paid[e.Pos])
			}
			if amt, ok := z.Prize(e.Pos); ok && r.Distribution == Ladder && paid[e.Pos] > 0 && amt != paid[e.Pos] {
				t.Errorf("ladder pos %d: prize %d, paid %d", e.Pos, amt, paid[e.Pos])
			}
		}
	}
	tickets := contest.Contest{}
	if ContestZone(&tickets) != nil {
		t.Error("a contest without rewards has a zone")
	}
}
