package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintRewardsBlock: contest lint reports the rewards block's problems
// with file:line and exits 1.
func TestLintRewardsBlock(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yml")
	os.WriteFile(f, []byte(`id: c
title: C
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: ladder
  ladder:
    - {ranks: "1-3", share: 0.3}
    - {ranks: "2", share: 0.2}
`), 0o644)
	var out, errb bytes.Buffer
	if code := cmdLint([]string{f}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	want := []string{f + ":10:15: rewards.ladder[1].ranks: \"2\" overlaps ranks 1-3", f + ":9:5: rewards.ladder: shares × positions add up to 1.1000 > 1"}
	for _, w := range want {
		if !strings.Contains(errb.String(), w) {
			t.Fatalf("stderr lacks %q:\n%s", w, errb.String())
		}
	}
}

// TestLintRewardsBlockOfBrokenContest: a file whose contest part has errors
// too gets its rewards block's errors in the same run, in line order.
func TestLintRewardsBlockOfBrokenContest(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yml")
	os.WriteFile(f, []byte(`id: bad id
title: C
window: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}
scoring: {model: wager}
leaderboard: {type: sum, order: asc}
rewards:
  pool: {currency: EUR, total_minor: 100}
  distribution: proportional
`), 0o644)
	var out, errb bytes.Buffer
	if code := cmdLint([]string{f}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], f+":1:") || !strings.HasPrefix(lines[1], f+":8:") ||
		!strings.Contains(lines[1], "desc") {
		t.Fatalf("want the id error (line 1), then the rewards one (proportional on an asc board, line 8):\n%s", errb.String())
	}
}
