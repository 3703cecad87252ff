package contest

import (
	"fmt"
	"strings"
	"testing"
)

const noticeBase = `id: c
title: C
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
`

// TestNotifyTop: notify_top levels largest first, the default without the
// key, an empty list for none, and every bad form refused at its line.
func TestNotifyTop(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want string // NotifyLevels, or the error's "line:" and text
	}{
		{"", "[100 50 10]"},
		{"notify_top: [5, 200, 1]\n", "[200 5 1]"},
		{"notify_top: []\n", "[]"},
		{"notify_top: [0]\n", "5: notify_top[0]: must be an integer >= 1"},
		{"notify_top: [3, 3]\n", "5: notify_top[1]: 3 listed twice"},
		{"notify_top: 10\n", "5: notify_top: must be a list"},
		{"notify_top: [x]\n", "5: notify_top[0]: must be an integer"},
		{"notify_top: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n", "5: notify_top: at most 16 levels"},
	} {
		c, err := Parse("c.yml", []byte(noticeBase+tc.yaml))
		if err != nil {
			var le LintErrors
			if !asLint(err, &le) || len(le) != 1 || !strings.HasPrefix(fmt.Sprintf("%d: %s", le[0].Line, le[0].Msg), tc.want) {
				t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
			}
			continue
		}
		if got := fmt.Sprint(c.NotifyLevels()); got != tc.want {
			t.Errorf("%q: levels %s, want %s", tc.yaml, got, tc.want)
		}
	}
}

func asLint(err error, le *LintErrors) bool {
	l, ok := err.(LintErrors)
	*le = l
	return ok
}

// TestPrizeZoneWins: ranges with gaps, min_score, positive-only and any
// position.
func TestPrizeZoneWins(t *testing.T) {
	ms := int64(10)
	ladder := &PrizeZone{Ranges: []PrizeRange{{From: 1, To: 1, AmountMinor: 300}, {From: 3, To: 5, AmountMinor: 50}}, MinScore: &ms}
	prop := &PrizeZone{AnyPos: true, PositiveOnly: true}
	var none *PrizeZone
	for _, tc := range []struct {
		z     *PrizeZone
		pos   int
		score int64
		wins  bool
		prize int64
	}{
		{ladder, 1, 10, true, 300}, {ladder, 2, 99, false, 0}, {ladder, 4, 99, true, 50},
		{ladder, 5, 9, false, 50}, {ladder, 6, 99, false, 0}, {ladder, 0, 99, false, 0},
		{prop, 1000, 1, true, 0}, {prop, 1, 0, false, 0}, {none, 1, 100, false, 0},
	} {
		if got := tc.z.Wins(tc.pos, tc.score); got != tc.wins {
			t.Errorf("%+v Wins(%d, %d) = %v", tc.z, tc.pos, tc.score, got)
		}
		if got, _ := tc.z.Prize(tc.pos); got != tc.prize {
			t.Errorf("%+v Prize(%d) = %d, want %d", tc.z, tc.pos, got, tc.prize)
		}
	}
	if ladder.Deepest() != 5 || prop.Deepest() != 0 || none.Deepest() != 0 {
		t.Errorf("deepest %d %d %d", ladder.Deepest(), prop.Deepest(), none.Deepest())
	}
}

// TestMissionReadyWith: reward_ready follows the claim status.
func TestMissionReadyWith(t *testing.T) {
	r := &MissionReward{}
	m := &Mission{Steps: []Step{{ID: "s1", Reward: r}, {ID: "s2"}}, Completion: r}
	doc := func(done ...bool) MissionProgressDoc {
		d := MissionProgressDoc{}
		for i, x := range done {
			d.Steps = append(d.Steps, StepProgressDoc{ID: fmt.Sprintf("s%d", i+1), Done: x})
		}
		return d
	}
	st := func(stored, claimable map[string]bool) RewardStatus {
		return func(s string) (bool, bool) { return stored[s], claimable[s] }
	}
	none := st(nil, nil)
	claimed := st(map[string]bool{"s1": true}, nil)
	pendingS1 := st(map[string]bool{"s1": true}, map[string]bool{"s1": true})
	allClaimed := st(map[string]bool{"s1": true, CompletionStep: true}, nil)
	for i, tc := range []struct {
		d    MissionProgressDoc
		st   RewardStatus
		auto bool
		want bool
	}{
		{doc(false, false), none, false, false},
		{doc(true, false), none, false, true}, // computed soon, pending
		{doc(true, false), none, true, false}, // auto_grant: never waits
		{doc(true, false), pendingS1, false, true},
		{doc(true, false), claimed, false, false}, // claimed: shown as claimed
		{doc(true, true), claimed, false, true},   // the completion is still to come
		{doc(true, true), allClaimed, false, false},
	} {
		m.AutoGrant = tc.auto
		if got := m.ReadyWith(tc.d, tc.st); got != tc.want {
			t.Errorf("case %d: ready %v, want %v", i, got, tc.want)
		}
	}
}
