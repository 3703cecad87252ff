package contest

import (
	"errors"
	"strings"
	"testing"
)

// TestParseCapsLintErrors: a file with 50 000 bad list items reports
// the first MaxLintErrors in position order and counts the rest.
func TestParseCapsLintErrors(t *testing.T) {
	src := rewardsHead + "leaderboard: {tiebreakers: [" + strings.Repeat("x,", 50_000) + "x]}\n"
	_, err := Parse("t.yml", []byte(src))
	var les LintErrors
	if !errors.As(err, &les) {
		t.Fatalf("error %v, want LintErrors", err)
	}
	if len(les) != MaxLintErrors+1 {
		t.Fatalf("%d errors, want %d", len(les), MaxLintErrors+1)
	}
	for i, e := range les[:MaxLintErrors] {
		if e.Line != 5 || !strings.Contains(e.Msg, `unknown tiebreaker "x"`) || (i > 0 && e.Col <= les[i-1].Col) {
			t.Fatalf("error %d: %v", i, e)
		}
	}
	last := les[MaxLintErrors]
	if last.File != "t.yml" || last.Line != 5 || last.Msg != "too many problems: 49901 more not shown" {
		t.Errorf("last error %+v", last)
	}
}

// TestParseMissionCapsLintErrors: missions share the cap.
func TestParseMissionCapsLintErrors(t *testing.T) {
	_, err := ParseMission("m.yml", []byte(strings.Repeat("zz: 1\n", 1000)))
	var les LintErrors
	if !errors.As(err, &les) || len(les) != MaxLintErrors+1 || !strings.Contains(les[MaxLintErrors].Msg, "more not shown") {
		t.Fatalf("error %v", err)
	}
}
