package contest

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var wantRE = regexp.MustCompile(`^#\s*want:\s*(\d+):\s*(.*)$`)

type lintWant struct {
	line int
	msg  string
}

// wants reads the golden "# want: LINE: MESSAGE" comments of a bad file.
func readWants(t *testing.T, data []byte) []lintWant {
	t.Helper()
	var out []lintWant
	for _, ln := range strings.Split(string(data), "\n") {
		m := wantRE.FindStringSubmatch(strings.TrimSpace(ln))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		out = append(out, lintWant{n, m[2]})
	}
	return out
}

// checkLint requires every error to be wanted and every want to be met.
func checkLint(t *testing.T, file string, err error, ws []lintWant) {
	t.Helper()
	var les LintErrors
	if !errors.As(err, &les) {
		t.Fatalf("error is %T (%v), want LintErrors", err, err)
	}
	met := make([]bool, len(ws))
	for _, e := range les {
		if e.File != file {
			t.Errorf("error %q has File %q, want %q", e, e.File, file)
		}
		ok := false
		for i, w := range ws {
			if e.Line == w.line && strings.Contains(e.Msg, w.msg) {
				met[i], ok = true, true
			}
		}
		if !ok {
			t.Errorf("unexpected error: %v", e)
		}
	}
	for i, w := range ws {
		if !met[i] {
			t.Errorf("missing error at line %d: %q; got:\n%v", w.line, w.msg, err)
		}
	}
}

// eachFile runs fn as a subtest on every file matching glob (at least min
// of them) with its contents.
func eachFile(t *testing.T, glob string, min int, fn func(t *testing.T, f string, data []byte)) {
	t.Helper()
	files, _ := filepath.Glob(glob)
	if len(files) < min {
		t.Fatalf("found %d files of %s", len(files), glob)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, f, data)
		})
	}
}

// eachBadFile runs parse on every file matching glob (at least min of
// them), each of which says in "# want:" comments what its lint errors are,
// and checks that parse's error has exactly those.
func eachBadFile(t *testing.T, glob string, min int, parse func(t *testing.T, f string, data []byte) error) {
	t.Helper()
	eachFile(t, glob, min, func(t *testing.T, f string, data []byte) {
		ws := readWants(t, data)
		if len(ws) == 0 {
			t.Fatal("no # want: comments")
		}
		checkLint(t, f, parse(t, f, data), ws)
	})
}

func TestGoodFiles(t *testing.T) {
	eachFile(t, "testdata/*.good.*", 5, func(t *testing.T, f string, data []byte) {
		c, err := Parse(f, data)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if c.ID == "" || c.Title == "" || c.File != f || string(c.Source) != string(data) {
			t.Errorf("incomplete contest %+v", c)
		}
		if (c.Window == nil) == (c.Schedule == nil) {
			t.Errorf("want exactly one of Window/Schedule")
		}
		if (c.Scoring.Formula == "") == (c.Scoring.Model == "") {
			t.Errorf("want exactly one of Formula/Model")
		}
		if c.Scoring.Formula != "" && c.program == nil {
			t.Errorf("formula not compiled")
		}
		if c.Location == nil {
			t.Errorf("nil Location")
		}
	})
}

func TestBadFiles(t *testing.T) {
	eachBadFile(t, "testdata/*.bad.yml", 20, func(t *testing.T, f string, data []byte) error {
		c, err := Parse(f, data)
		if err == nil {
			t.Fatalf("Parse succeeded: %+v", c)
		}
		if c != nil {
			t.Errorf("Parse returned a contest with an error")
		}
		return err
	})
}

func TestParseInline(t *testing.T) {
	const head = "id: x\ntitle: X\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\n"
	tests := []struct {
		name, src string
		ws        []lintWant
	}{
		{"json unknown field", `{"id": "j", "title": "J",
 "window": {"start": "2025-10-25T18:00:00Z", "end": "2025-10-25T19:00:00Z"},
 "scoring": {"model": "wager", "cap": 5}}`, []lintWant{{3, `unknown field "cap"`}}},
		{"json bad type", `{"id": "j", "title": "J", "version": "2",
 "window": {"start": "2025-10-25T18:00:00Z", "end": "2025-10-25T19:00:00Z"},
 "scoring": {"model": "wager"}}`, []lintWant{{1, `version: must be an integer >= 1, got "2"`}}},
		{"formula not number string", head + "scoring: {formula: '\"abc\"'}\n", []lintWant{{4, "expected float64, but got string"}}},
		{"formula nil branch", head + "scoring: {formula: 'bet > 0 ? 1 : nil'}\n", []lintWant{{4, "must return a number"}}},
		{"formula empty", head + "scoring: {formula: ''}\n", []lintWant{{4, "formula is empty"}}},
		{"formula builtin len", head + "scoring: {formula: 'len(\"ab\")'}\n", []lintWant{{4, "unknown name len"}}},
		{"formula now", head + "scoring: {formula: 'now()'}\n", []lintWant{{4, "unknown name now"}}},
		{"cron tz prefix", "id: x\ntitle: X\nschedule: {cron: 'TZ=UTC 0 0 * * *', duration: 1h}\nscoring: {model: wager}\n",
			[]lintWant{{3, "time zone prefix not allowed"}}},
		{"tz Local", "id: x\ntitle: X\nschedule: {cron: '0 0 * * *', duration: 1h, tz: Local}\nscoring: {model: wager}\n",
			[]lintWant{{3, `unknown time zone "Local"`}}},
		{"tz list", "id: x\ntitle: X\nschedule: {cron: '0 0 * * *', duration: 1h, tz: [UTC]}\nscoring: {model: wager}\n",
			[]lintWant{{3, "schedule.tz: must be a string"}}},
		{"list of maps", head + "scoring: {model: wager}\nscope: {games: [{a: 1}]}\n", []lintWant{{5, "scope.games[0]: must be a non-empty string"}}},
		{"scoring not mapping", head + "scoring: wager\n", []lintWant{{4, "scoring: must be a mapping"}}},
		{"id too long", strings.Replace(head, "id: x", "id: "+strings.Repeat("a", 65), 1) + "scoring: {model: wager}\n",
			[]lintWant{{1, "id: must be 1..64 chars"}}},
		{"huge int", head + "scoring: {model: wager, cap_per_event: 99999999999999999999}\n", []lintWant{{4, "cap_per_event"}}},
		{"null id", "id:\ntitle: X\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\n",
			[]lintWant{{1, `missing required field "id"`}}},
		{"unclosed flow", "id: x\ntitle: [unclosed\n", []lintWant{{2, "invalid YAML"}}},
		{"tab indent", "id: x\ntitle: X\nscoring:\n\tmodel: wager\n", []lintWant{{4, "invalid YAML"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("inline.yml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			checkLint(t, "inline.yml", err, tt.ws)
		})
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse("m.yml", []byte("id: m\ntitle: M\nwindow: {start: 2025-10-25T18:00:00+03:00, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 || c.Lateness != 0 || c.Scoring.BonusCoefficient != 1 ||
		c.Leaderboard.Type != TypeSum || c.Leaderboard.Order != "desc" || c.Location != time.UTC ||
		c.Scoring.CapPerEvent != nil || c.Scoring.CapPerUserPerDay != nil || c.Rewards != nil ||
		c.Eligibility.MinBetMinor != nil || c.AntiAbuse.MaxEventsPerUserPerSec != 0 {
		t.Errorf("defaults: %+v", c)
	}
	if want := time.Date(2025, 10, 25, 15, 0, 0, 0, time.UTC); !c.Window.Start.Equal(want) || c.Window.Start.Location() != time.UTC {
		t.Errorf("start %v, want %v in UTC", c.Window.Start, want)
	}
}

func TestParseFull(t *testing.T) {
	data, err := os.ReadFile("testdata/full.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("full.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	i64 := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	checks := []struct {
		name     string
		got, exp any
	}{
		{"id", c.ID, "t_october_sprint"},
		{"title", c.Title, "October sprint"},
		{"version", c.Version, 3},
		{"start", c.Window.Start, time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC)},
		{"end", c.Window.End, time.Date(2025, 10, 25, 19, 0, 0, 0, time.UTC)},
		{"lateness", c.Lateness, 90 * time.Second},
		{"markets", strings.Join(c.Scope.Markets, ","), "DE,SE"},
		{"brands", strings.Join(c.Scope.Brands, ","), "X"},
		{"providers", strings.Join(c.Scope.Providers, ","), "PragmaticPlay,Hacksaw"},
		{"game_types", strings.Join(c.Scope.GameTypes, ","), "slot"},
		{"games", strings.Join(c.Scope.Games, ","), "g_*"},
		{"event_types", strings.Join(c.Eligibility.EventTypes, ","), "round_end"},
		{"min_bet", i64(c.Eligibility.MinBetMinor), int64(50)},
		{"min_dur", i64(c.Eligibility.MinRoundDurationMS), int64(800)},
		{"asn", strings.Join(c.Eligibility.ExcludeASN, ","), "hosting,proxy"},
		{"formula", c.Scoring.Formula, "min(multiplier, 50) * 100"},
		{"bonus", c.Scoring.BonusCoefficient, 0.5},
		{"cap_event", i64(c.Scoring.CapPerEvent), int64(5000)},
		{"cap_day", i64(c.Scoring.CapPerUserPerDay), int64(100000)},
		{"type", c.Leaderboard.Type, TypeBestN},
		{"n", c.Leaderboard.N, 20},
		{"order", c.Leaderboard.Order, "desc"},
		{"tiebreakers", strings.Join(c.Leaderboard.Tiebreakers, ","), "highest_single_multiplier,fewest_rounds,earliest_finish"},
		{"divisions", c.Leaderboard.Divisions, "market"},
		{"rate", c.AntiAbuse.MaxEventsPerUserPerSec, 2},
		{"distribution", c.Rewards["distribution"], "ladder"},
		{"claim_window", c.Rewards["claim_window"], "72h"},
		{"auto_grant", c.Rewards["auto_grant"], false},
		{"pool", c.Rewards["pool"].(map[string]any)["total_minor"], 1000000},
		{"ladder", len(c.Rewards["ladder"].([]any)), 3},
	}
	for _, ch := range checks {
		if ch.got != ch.exp {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.exp)
		}
	}
}

func TestLintErrorFormat(t *testing.T) {
	if got := (LintError{File: "a.yml", Line: 3, Col: 5, Msg: "boom"}).Error(); got != "a.yml:3:5: boom" {
		t.Errorf("got %q", got)
	}
	if got := (LintError{File: "a.yml", Line: 3, Msg: "boom"}).Error(); got != "a.yml:3: boom" {
		t.Errorf("got %q", got)
	}
	es := LintErrors{{File: "a", Line: 1, Msg: "x"}, {File: "b", Line: 2, Col: 1, Msg: "y"}}
	if got := es.Error(); got != "a:1: x\nb:2:1: y" {
		t.Errorf("got %q", got)
	}
	var one LintError
	if !errors.As(error(es), &one) || one.Msg != "x" {
		t.Errorf("errors.As LintError: %v", one)
	}
}

func TestErrorsSortedByPosition(t *testing.T) {
	data, _ := os.ReadFile("testdata/many.bad.yml")
	_, err := Parse("many.yml", data)
	var les LintErrors
	if !errors.As(err, &les) || len(les) < 5 {
		t.Fatalf("want several errors, got %v", err)
	}
	for i := 1; i < len(les); i++ {
		if les[i].Line < les[i-1].Line {
			t.Errorf("errors not sorted: %v", err)
		}
	}
}

func writeContestFile(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	const body = "title: T\nwindow: {start: 2025-10-25T18:00:00Z, end: 2025-10-25T19:00:00Z}\nscoring: {model: wager}\n"
	writeContestFile(t, dir, "b.yaml", "id: b\n"+body)
	writeContestFile(t, dir, "a.yml", "id: a\n"+body)
	writeContestFile(t, dir, "c.json", `{"id": "c", "title": "C", "schedule": {"cron": "0 0 * * *", "duration": "24h"}, "scoring": {"model": "wager"}}`)
	writeContestFile(t, dir, "d.yml", "title: T\nid: a\n"+body[9:]+"scoring: {model: wager}\n") // duplicate key and duplicate id
	writeContestFile(t, dir, "e.yml", "# later file, same id as a.yml\n"+"id: a\n"+body)
	writeContestFile(t, dir, "f.yml", "id: f\n"+body+"scoer: 1\n")
	writeContestFile(t, dir, "notes.txt", "not a contest")
	if err := os.Mkdir(filepath.Join(dir, "sub.yml"), 0o755); err != nil {
		t.Fatal(err)
	}

	cs, err := LoadDir(dir)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	if got := strings.Join(ids, ","); got != "a,b,c" {
		t.Errorf("ids %q, want a,b,c", got)
	}
	if err == nil {
		t.Fatal("want errors")
	}
	var les LintErrors
	if !errors.As(err, &les) {
		t.Fatalf("want LintErrors, got %T", err)
	}
	msgs := err.Error()
	for _, w := range []string{
		filepath.Join(dir, "d.yml") + ":5:1: duplicate field \"scoring\"",
		filepath.Join(dir, "e.yml") + ":2:5: id: duplicate contest id \"a\" (also in " + filepath.Join(dir, "a.yml") + ")",
		filepath.Join(dir, "f.yml") + ":5:1: unknown field \"scoer\"",
	} {
		if !strings.Contains(msgs, w) {
			t.Errorf("missing %q in:\n%s", w, msgs)
		}
	}
	if len(les) != 3 {
		t.Errorf("want 3 errors, got:\n%s", msgs)
	}

	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	empty := t.TempDir()
	if cs, err := LoadDir(empty); err != nil || len(cs) != 0 {
		t.Errorf("empty dir: %v %v", cs, err)
	}
}

// TestSampleContests checks the contests shipped in /contests.
func TestSampleContests(t *testing.T) {
	cs, err := LoadDir("../contests")
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string]*Contest{}
	var sched *Contest
	for _, c := range cs {
		byType[c.Leaderboard.Type] = c
		if c.Schedule != nil {
			sched = c
		}
	}
	if c := byType[TypeBestN]; c == nil || c.Leaderboard.N != 20 || len(c.Leaderboard.Tiebreakers) != 3 {
		t.Errorf("no best_n n=20 sample with three tie-breakers")
	}
	if c := byType[TypeMax]; c == nil || c.Leaderboard.Divisions != DivMarket {
		t.Errorf("no max sample with divisions: market")
	}
	if byType[TypeSum] == nil {
		t.Errorf("no sum sample")
	}
	if sched == nil || sched.Schedule.Cron != "0 0 * * *" || sched.Schedule.Duration != 24*time.Hour || sched.Schedule.TZName != "Europe/Kyiv" {
		t.Errorf("no daily Kyiv schedule sample")
	}
	now := time.Now()
	for _, c := range cs {
		if c.Lateness != 90*time.Second {
			t.Errorf("%s: lateness %v", c.ID, c.Lateness)
		}
		if len(c.Rewards) == 0 {
			t.Errorf("%s: no rewards", c.ID)
		}
		if w, ok := c.CurrentWindow(now); !ok || c.StatusAt(w, now) != StatusLive {
			t.Errorf("%s: not live now", c.ID)
		}
	}
}
