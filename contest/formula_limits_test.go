package contest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rankstream/rankstream/event"
)

// doubling is a formula that doubles a value n times with let: before the
// shape check it was accepted and built a 2^n-times longer string for every
// event (seeded with 10 bytes, n = 24: a third of a second and 80 MB per event).
func doubling(seed string, n int) string {
	var b strings.Builder
	b.WriteString("let v0 = " + seed + "; ")
	for i := 1; i <= n; i++ {
		b.WriteString("let v" + strconv.Itoa(i) + " = v" + strconv.Itoa(i-1) + " + v" + strconv.Itoa(i-1) + "; ")
	}
	b.WriteString("v" + strconv.Itoa(n) + " == v0 ? 1 : 2")
	return b.String()
}

// TestFormulaRefusesUnboundedWork: the formulas whose compile or evaluation
// work is not bounded by a small constant are refused with a clear error.
func TestFormulaRefusesUnboundedWork(t *testing.T) {
	bad := map[string]string{
		doubling(`"xxxxxxxxxx"`, 24):                                     "a string is not allowed",
		"let v = [bet, win]; v[0] + v[1]":                                "a list is not allowed",
		"(1..100000000)[0]":                                              "this expression is not allowed",
		"-(1..100000000 == nil ? 1 : 2)":                                 `operator ".." is not allowed`,
		"bet in 1..100000000 ? 1 : 2":                                    `operator "in" is not allowed`,
		"bet > 0 ? 1 : ({a: 1}).a":                                       "is not allowed",
		strings.Repeat("-", 20000) + "1":                                 "20001 bytes, at most 1024 allowed",
		strings.Repeat("min(1,", 3000) + "1" + strings.Repeat(")", 3000): "at most 1024 allowed",
		strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000):      "at most 1024 allowed",
		"bet > 0 ?\n ('x' == 'y' ? 1 : 2) : 3": "a string is not allowed, only numbers, bet, win, multiplier, duration_ms, " +
			"arithmetic, comparisons, ?:, let and min max abs log log2 floor ceil round (2:3)",
	}
	for src, want := range bad {
		_, err := compileFormula(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60q: error %v, want it to contain %q", src, err, want)
		}
	}
}

// TestFormulaWithinLimits: what the language has still compiles and scores,
// up to MaxFormulaBytes.
func TestFormulaWithinLimits(t *testing.T) {
	ev := &event.Event{BetMinor: 100, WinMinor: 250, Multiplier: 2.5, DurationMS: 1200, Funds: event.FundsCash}
	long := strings.Repeat("bet + ", (MaxFormulaBytes-3)/6) + "bet"
	if len(long) > MaxFormulaBytes {
		t.Fatalf("test formula is %d bytes", len(long))
	}
	good := map[string]int64{
		doubling("bet", 20):                                     2,
		"let m = max(bet, win, 2); m * m":                       62_500,
		"bet > 5 && !(win < 0) ? round(-multiplier) : floor(1)": -3,
		"2 ** 3 + 7 % 4 - +1":                                   10,
		long:                                                    100 * int64(strings.Count(long, "bet")),
	}
	for src, want := range good {
		prog, err := compileFormula(src)
		if err != nil {
			t.Errorf("%.60q: %v", src, err)
			continue
		}
		c := &Contest{Scoring: Scoring{Formula: src, BonusCoefficient: 1}, program: prog}
		if got := c.Points(ev); got != want {
			t.Errorf("%.60q: %d points, want %d", src, got, want)
		}
	}
}

// TestParseRefusesUnboundedFormula: the lint error names the file and line.
func TestParseRefusesUnboundedFormula(t *testing.T) {
	src := "id: x\ntitle: X\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\n" +
		"scoring: {formula: '" + strings.ReplaceAll(doubling(`"xxxxxxxxxx"`, 24), "'", "''") + "'}\n"
	_, err := Parse("big.yml", []byte(src))
	if err == nil || !strings.HasPrefix(err.Error(), "big.yml:4:") || !strings.Contains(err.Error(), "a string is not allowed") {
		t.Fatalf("error %v, want big.yml:4: … a string is not allowed", err)
	}
}
