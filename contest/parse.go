package contest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/event"
)

var (
	yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// yamlParserErrors are the messages of yaml.v3's parser errors (as opposed
// to its scanner errors).
var yamlParserErrors = []string{
	"did not find expected",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// Allowed values (constant tables).
var (
	eventTypes  = []string{"bet", "win", "spin", "round_end"}
	modelNames  = []string{ModelMultiplierLog, ModelWinAmount, ModelWager}
	boardTypes  = []string{TypeSum, TypeBestN, TypeMax}
	orders      = []string{"desc", "asc"}
	tiebreakers = []string{TieHighestSingleMultiplier, TieFewestRounds, TieMostRounds, TieEarliestFinish}
	divisions   = []string{DivMarket, DivBrand, DivProvider, DivGameType, DivGame, DivPlatform}
)

// Parse parses and validates one contest file (YAML, or JSON, which is YAML).
// It reports every problem it finds as LintErrors, each at the line (and
// column) of the offending key or value. Unknown keys are errors.
func Parse(file string, data []byte) (*Contest, error) {
	l := &linter{file: file}
	c := l.parseFile(data)
	if errs := l.result(); errs != nil {
		return nil, errs
	}
	c.File = file
	c.Source = data
	return c, nil
}

// LoadDir parses every *.yml, *.yaml and *.json file in dir (not recursive,
// sorted by name). It returns every contest that is valid and, joined, every
// problem: the LintErrors of all files in one LintErrors, plus any I/O error.
// A contest id used by an earlier file is an error; the later file is dropped.
func LoadDir(dir string) ([]*Contest, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("contest: load %s: %w", dir, err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yml", ".yaml", ".json":
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)

	var (
		out   []*Contest
		lint  LintErrors
		other []error
		seen  = map[string]*Contest{}
	)
	for _, name := range names {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err != nil {
			other = append(other, fmt.Errorf("contest: read %s: %w", p, err))
			continue
		}
		c, err := Parse(p, data)
		if err != nil {
			var le LintErrors
			if errors.As(err, &le) {
				lint = append(lint, le...)
			} else {
				other = append(other, fmt.Errorf("contest: %s: %w", p, err))
			}
			continue
		}
		if prev, dup := seen[c.ID]; dup {
			line, col := idPosition(data)
			lint = append(lint, LintError{File: p, Line: line, Col: col,
				Msg: fmt.Sprintf("id: duplicate contest id %q (also in %s)", c.ID, prev.File)})
			continue
		}
		seen[c.ID] = c
		out = append(out, c)
	}
	if len(lint) > 0 {
		other = append(other, lint)
	}
	return out, errors.Join(other...)
}

// idPosition is the position of the top-level id value of a parsed file.
func idPosition(data []byte) (int, int) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) == 1 {
		m := deref(doc.Content[0])
		if m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == "id" {
					return m.Content[i+1].Line, m.Content[i+1].Column
				}
			}
			return m.Line, m.Column
		}
	}
	return 1, 0
}

// linter collects the problems of one file.
type linter struct {
	file    string
	errs    LintErrors
	dropped int // problems beyond MaxLintErrors
}

func (l *linter) errAt(n *yaml.Node, format string, args ...any) {
	line, col := 1, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	if len(l.errs) >= MaxLintErrors {
		l.dropped++ // not formatted: there may be half a million
		return
	}
	l.add(LintError{File: l.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// kv is one key/value of a mapping.
type kv struct{ key, val *yaml.Node }

// present reports whether the key was given with a non-null value.
func (f kv) present() bool { return f.val != nil && !isNull(f.val) }

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func label(p string) string {
	if p == "" {
		return ""
	}
	return p + ": "
}

// fields checks that n is a mapping with unique keys from allowed and returns
// its entries by key. A nil map means n is not a mapping (already reported).
func (l *linter) fields(n *yaml.Node, p string, allowed ...string) map[string]kv {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "%smust be a mapping", label(p))
		return nil
	}
	out := make(map[string]kv, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		name := k.Value
		if k.Kind != yaml.ScalarNode {
			l.errAt(k, "%sinvalid key", label(p))
			continue
		}
		known := false
		for _, a := range allowed {
			if a == name {
				known = true
				break
			}
		}
		if !known {
			l.errAt(k, "unknown field %q", name)
			continue
		}
		if _, dup := out[name]; dup {
			l.errAt(k, "duplicate field %q", name)
			continue
		}
		out[name] = kv{key: k, val: v}
	}
	return out
}

func (l *linter) missing(where *yaml.Node, p, name string) {
	l.errAt(where, "%smissing required field %q", label(p), name)
}

// str returns a scalar's text.
func (l *linter) str(f kv, p string) (string, bool) {
	if f.val.Kind != yaml.ScalarNode {
		l.errAt(f.val, "%s: must be a string", p)
		return "", false
	}
	return f.val.Value, true
}

// integer returns an integer scalar ≥ min.
func (l *linter) integer(f kv, p string, minimum int64) (int64, bool) {
	v := f.val
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		l.errAt(v, "%s: must be an integer >= %d, got %s", p, minimum, describe(v))
		return 0, false
	}
	var n int64
	if err := v.Decode(&n); err != nil {
		l.errAt(v, "%s: invalid integer %q", p, v.Value)
		return 0, false
	}
	if n < minimum {
		l.errAt(v, "%s: must be an integer >= %d, got %d", p, minimum, n)
		return 0, false
	}
	return n, true
}

// number returns a finite number scalar ≥ 0.
func (l *linter) number(f kv, p string) (float64, bool) {
	v := f.val
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
		l.errAt(v, "%s: must be a number >= 0, got %s", p, describe(v))
		return 0, false
	}
	var x float64
	if err := v.Decode(&x); err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		l.errAt(v, "%s: must be a finite number >= 0, got %s", p, v.Value)
		return 0, false
	}
	return x, true
}

// duration returns a Go duration (e.g. "90s", "24h"), ≥ 0, or > 0 when positive.
func (l *linter) duration(f kv, p string, positive bool) (time.Duration, bool) {
	v := f.val
	if v.Kind != yaml.ScalarNode {
		l.errAt(v, "%s: must be a duration such as 90s or 24h, got %s", p, describe(v))
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(v.Value))
	if err != nil {
		l.errAt(v, "%s: invalid duration %q (want Go syntax such as 90s, 10m, 24h)", p, v.Value)
		return 0, false
	}
	if positive && d <= 0 {
		l.errAt(v, "%s: must be > 0, got %s", p, v.Value)
		return 0, false
	}
	if d < 0 {
		l.errAt(v, "%s: must be >= 0, got %s", p, v.Value)
		return 0, false
	}
	return d, true
}

// timestamp returns an RFC 3339 time, in UTC.
func (l *linter) timestamp(f kv, p string) (time.Time, bool) {
	v := f.val
	if v.Kind != yaml.ScalarNode {
		l.errAt(v, "%s: must be an RFC 3339 time, got %s", p, describe(v))
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v.Value))
	if err != nil {
		l.errAt(v, "%s: invalid time %q (want RFC 3339, e.g. 2025-10-25T18:00:00Z)", p, v.Value)
		return time.Time{}, false
	}
	return t.UTC(), true
}

// strList returns a list of non-empty scalars with their nodes.
func (l *linter) strList(f kv, p string) ([]string, []*yaml.Node, bool) {
	v := f.val
	if v.Kind != yaml.SequenceNode {
		l.errAt(v, "%s: must be a list, got %s", p, describe(v))
		return nil, nil, false
	}
	ok := true
	var vals []string
	var nodes []*yaml.Node
	for i, it := range v.Content {
		it = deref(it)
		if it.Kind != yaml.ScalarNode || isNull(it) || it.Value == "" {
			l.errAt(it, "%s[%d]: must be a non-empty string", p, i)
			ok = false
			continue
		}
		vals = append(vals, it.Value)
		nodes = append(nodes, it)
	}
	return vals, nodes, ok
}

// later returns whichever of a and b comes later in the file.
func later(a, b *yaml.Node) *yaml.Node {
	if b.Line > a.Line || (b.Line == a.Line && b.Column > a.Column) {
		return b
	}
	return a
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "an invalid value"
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if a == v {
			return true
		}
	}
	return false
}

// parseFile reads the single YAML document of data into a Contest.
func (l *linter) parseFile(data []byte) *Contest {
	root := l.singleDocument(data, "contest")
	if root == nil {
		return nil
	}
	return l.contest(root)
}

// singleDocument decodes the one YAML document of a file of the given kind
// ("contest", "mission") and returns its root node, or nil after reporting
// an empty file, a YAML error or a second document.
func (l *linter) singleDocument(data []byte, kind string) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errAt(nil, "empty %s file", kind)
		} else {
			l.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.errAt(&extra, "more than one YAML document in a %s file", kind)
	} else if !errors.Is(err, io.EOF) {
		l.yamlError(err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		l.errAt(nil, "empty %s file", kind)
		return nil
	}
	return deref(doc.Content[0])
}

func (l *linter) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			line = n
		}
		msg = m[2]
		// yaml.v3 reports parser (not scanner) errors with a 0-based line.
		for _, pre := range yamlParserErrors {
			if strings.HasPrefix(msg, pre) {
				line++
				break
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	l.add(LintError{File: l.file, Line: line, Msg: "invalid YAML: " + msg})
}

func (l *linter) contest(root *yaml.Node) *Contest {
	c := &Contest{
		Version:     1,
		Location:    time.UTC,
		Scoring:     Scoring{BonusCoefficient: 1},
		Leaderboard: Leaderboard{Type: TypeSum, Order: "desc"},
	}
	fs := l.fields(root, "", "id", "title", "version", "window", "schedule", "lateness",
		"max_event_delay", "scope", "eligibility", "scoring", "leaderboard", "rewards", "anti_abuse", "notify_top")
	if fs == nil {
		return c
	}

	if f := fs["id"]; f.present() {
		if s, ok := l.str(f, "id"); ok {
			if !event.ValidToken(s, 1, 64) {
				l.errAt(f.val, "id: must be 1..64 chars of [A-Za-z0-9_-], got %q", s)
			}
			c.ID = s
		}
	} else {
		l.missing(root, "", "id")
	}

	if f := fs["title"]; f.present() {
		if s, ok := l.str(f, "title"); ok {
			if strings.TrimSpace(s) == "" {
				l.errAt(f.val, "title: must not be empty")
			}
			c.Title = s
		}
	} else {
		l.missing(root, "", "title")
	}

	if f := fs["version"]; f.present() {
		if n, ok := l.integer(f, "version", 1); ok {
			if n > math.MaxInt32 {
				l.errAt(f.val, "version: too large")
			}
			c.Version = int(n)
		}
	}

	win, sch := fs["window"], fs["schedule"]
	if win.present() {
		c.Window = l.window(win)
	}
	if sch.present() {
		c.Schedule = l.schedule(sch)
		if c.Schedule != nil && c.Schedule.TZ != nil {
			c.Location = c.Schedule.TZ
		}
	}
	switch {
	case win.present() && sch.present():
		l.errAt(later(win.key, sch.key), "window and schedule are mutually exclusive")
	case !win.present() && !sch.present():
		l.errAt(root, "one of window or schedule is required")
	}

	if f := fs["lateness"]; f.present() {
		c.Lateness, _ = l.duration(f, "lateness", false)
	}
	c.MaxEventDelay = DefaultMaxEventDelay
	if f := fs["max_event_delay"]; f.present() {
		c.MaxEventDelay, _ = l.duration(f, "max_event_delay", true)
	}
	if f := fs["scope"]; f.present() {
		l.scope(f, &c.Scope)
	}
	if f := fs["eligibility"]; f.present() {
		l.eligibility(f, &c.Eligibility)
	}
	if f := fs["scoring"]; f.present() {
		l.scoring(f, c)
	} else {
		l.missing(root, "", "scoring")
	}
	if f := fs["leaderboard"]; f.present() {
		l.leaderboard(f, &c.Leaderboard)
	}
	if f := fs["rewards"]; f.present() {
		if f.val.Kind != yaml.MappingNode {
			l.errAt(f.val, "rewards: must be a mapping, got %s", describe(f.val))
		} else if at, msg := decodeBudget(f.val); at != nil {
			l.errAt(at, "rewards: %s", msg)
		} else {
			var m map[string]any
			if err := f.val.Decode(&m); err != nil {
				l.errAt(f.val, "rewards: %v", err)
			}
			c.Rewards = m
		}
	}
	c.NotifyTop = l.notifyTop(fs["notify_top"])
	if f := fs["anti_abuse"]; f.present() {
		if afs := l.fields(f.val, "anti_abuse", "max_events_per_user_per_sec"); afs != nil {
			if g := afs["max_events_per_user_per_sec"]; g.present() {
				if n, ok := l.integer(g, "anti_abuse.max_events_per_user_per_sec", 0); ok {
					if n > math.MaxInt32 {
						l.errAt(g.val, "anti_abuse.max_events_per_user_per_sec: too large")
					}
					c.AntiAbuse.MaxEventsPerUserPerSec = int(n)
				}
			}
		}
	}
	return c
}

func (l *linter) window(f kv) *FixedWindow {
	fs := l.fields(f.val, "window", "start", "end")
	if fs == nil {
		return nil
	}
	w := &FixedWindow{}
	okS, okE := false, false
	if g := fs["start"]; g.present() {
		w.Start, okS = l.timestamp(g, "window.start")
	} else {
		l.missing(f.key, "window", "start")
	}
	if g := fs["end"]; g.present() {
		w.End, okE = l.timestamp(g, "window.end")
		if okS && okE && !w.End.After(w.Start) {
			l.errAt(g.val, "window.end: must be after window.start")
		}
	} else {
		l.missing(f.key, "window", "end")
	}
	return w
}

func (l *linter) schedule(f kv) *Schedule {
	fs := l.fields(f.val, "schedule", "cron", "duration", "tz")
	if fs == nil {
		return nil
	}
	s := &Schedule{TZ: time.UTC, TZName: "UTC"}
	tzOK := true
	if g := fs["tz"]; g.present() {
		if name, ok := l.str(g, "schedule.tz"); ok {
			loc, err := time.LoadLocation(name)
			if err != nil || name == "" || strings.EqualFold(name, "Local") {
				l.errAt(g.val, "schedule.tz: unknown time zone %q", name)
				tzOK = false
			} else {
				s.TZ, s.TZName = loc, name
			}
		} else {
			tzOK = false
		}
	}
	if g := fs["cron"]; g.present() {
		if spec, ok := l.str(g, "schedule.cron"); ok {
			s.Cron = spec
			sp, err := parseCron(spec, s.TZ)
			if err != nil {
				l.errAt(g.val, "schedule.cron: invalid cron %q: %v", spec, err)
			} else if tzOK {
				s.spec = sp
			}
		}
	} else {
		l.missing(f.key, "schedule", "cron")
	}
	if g := fs["duration"]; g.present() {
		s.Duration, _ = l.duration(g, "schedule.duration", true)
	} else {
		l.missing(f.key, "schedule", "duration")
	}
	return s
}

func (l *linter) scope(f kv, s *Scope) {
	fs := l.fields(f.val, "scope", "markets", "brands", "providers", "game_types", "games")
	if fs == nil {
		return
	}
	list := func(name string) []string {
		g := fs[name]
		if !g.present() {
			return nil
		}
		p := "scope." + name
		vals, nodes, _ := l.strList(g, p)
		for i, v := range vals {
			if _, err := path.Match(v, ""); err != nil {
				l.errAt(nodes[i], "%s: invalid glob %q: %v", p, v, err)
			}
		}
		return vals
	}
	s.Markets = list("markets")
	s.Brands = list("brands")
	s.Providers = list("providers")
	s.GameTypes = list("game_types")
	s.Games = list("games")
}

func (l *linter) eligibility(f kv, e *Eligibility) {
	fs := l.fields(f.val, "eligibility", "event_types", "min_bet_minor", "min_round_duration_ms", "exclude_asn")
	if fs == nil {
		return
	}
	if g := fs["event_types"]; g.present() {
		vals, nodes, _ := l.strList(g, "eligibility.event_types")
		for i, v := range vals {
			if !oneOf(v, eventTypes) {
				l.errAt(nodes[i], "eligibility.event_types: unknown event type %q (want one of %s)", v, strings.Join(eventTypes, ", "))
			}
		}
		e.EventTypes = vals
	}
	if g := fs["min_bet_minor"]; g.present() {
		if n, ok := l.integer(g, "eligibility.min_bet_minor", 0); ok {
			e.MinBetMinor = &n
		}
	}
	if g := fs["min_round_duration_ms"]; g.present() {
		if n, ok := l.integer(g, "eligibility.min_round_duration_ms", 0); ok {
			e.MinRoundDurationMS = &n
		}
	}
	if g := fs["exclude_asn"]; g.present() {
		e.ExcludeASN, _, _ = l.strList(g, "eligibility.exclude_asn")
	}
}

func (l *linter) scoring(f kv, c *Contest) {
	fs := l.fields(f.val, "scoring", "formula", "model", "bonus_coefficient", "cap_per_event", "cap_per_user_per_day")
	if fs == nil {
		return
	}
	s := &c.Scoring
	fo, mo := fs["formula"], fs["model"]
	switch {
	case fo.present() && mo.present():
		l.errAt(later(fo.key, mo.key), "scoring: formula and model are mutually exclusive")
	case fo.present():
		if src, ok := l.str(fo, "scoring.formula"); ok {
			prog, err := compileFormula(src)
			if err != nil {
				l.errAt(fo.val, "scoring.formula: %v", err)
			}
			s.Formula, c.program = src, prog
		}
	case mo.present():
		if m, ok := l.str(mo, "scoring.model"); ok {
			if !oneOf(m, modelNames) {
				l.errAt(mo.val, "scoring.model: unknown model %q (want one of %s)", m, strings.Join(modelNames, ", "))
			}
			s.Model = m
		}
	default:
		l.errAt(f.key, "scoring: one of formula or model is required")
	}
	if g := fs["bonus_coefficient"]; g.present() {
		if x, ok := l.number(g, "scoring.bonus_coefficient"); ok {
			s.BonusCoefficient = x
		}
	}
	if g := fs["cap_per_event"]; g.present() {
		if n, ok := l.integer(g, "scoring.cap_per_event", 0); ok {
			s.CapPerEvent = &n
		}
	}
	if g := fs["cap_per_user_per_day"]; g.present() {
		if n, ok := l.integer(g, "scoring.cap_per_user_per_day", 0); ok {
			s.CapPerUserPerDay = &n
		}
	}
}

func (l *linter) leaderboard(f kv, lb *Leaderboard) {
	fs := l.fields(f.val, "leaderboard", "type", "n", "order", "tiebreakers", "divisions")
	if fs == nil {
		return
	}
	typeOK := true
	if g := fs["type"]; g.present() {
		if t, ok := l.str(g, "leaderboard.type"); ok {
			if !oneOf(t, boardTypes) {
				l.errAt(g.val, "leaderboard.type: unknown type %q (want one of %s)", t, strings.Join(boardTypes, ", "))
				typeOK = false
			}
			lb.Type = t
		} else {
			typeOK = false
		}
	}
	g := fs["n"]
	switch {
	case !typeOK:
	case lb.Type == TypeBestN && g.present():
		if n, ok := l.integer(g, "leaderboard.n", 1); ok {
			if n > math.MaxInt32 {
				l.errAt(g.val, "leaderboard.n: too large")
			}
			lb.N = int(n)
		}
	case lb.Type == TypeBestN:
		l.errAt(f.key, "leaderboard.n: required for type best_n (n >= 1)")
	case g.present():
		l.errAt(g.key, "leaderboard.n: only allowed for type best_n")
	}
	if g := fs["order"]; g.present() {
		if o, ok := l.str(g, "leaderboard.order"); ok {
			if !oneOf(o, orders) {
				l.errAt(g.val, "leaderboard.order: must be desc or asc, got %q", o)
			}
			lb.Order = o
		}
	}
	if g := fs["tiebreakers"]; g.present() {
		vals, nodes, _ := l.strList(g, "leaderboard.tiebreakers")
		seen := map[string]bool{}
		for i, v := range vals {
			switch {
			case !oneOf(v, tiebreakers):
				l.errAt(nodes[i], "leaderboard.tiebreakers: unknown tiebreaker %q (want one of %s)", v, strings.Join(tiebreakers, ", "))
			case seen[v]:
				l.errAt(nodes[i], "leaderboard.tiebreakers: duplicate tiebreaker %q", v)
			case (v == TieFewestRounds && seen[TieMostRounds]) || (v == TieMostRounds && seen[TieFewestRounds]):
				l.errAt(nodes[i], "leaderboard.tiebreakers: fewest_rounds and most_rounds are mutually exclusive")
			}
			seen[v] = true
		}
		lb.Tiebreakers = vals
	}
	if g := fs["divisions"]; g.present() {
		if d, ok := l.str(g, "leaderboard.divisions"); ok {
			if !oneOf(d, divisions) {
				l.errAt(g.val, "leaderboard.divisions: unknown division %q (want one of %s)", d, strings.Join(divisions, ", "))
			}
			lb.Divisions = d
		}
	}
}
