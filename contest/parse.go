package contest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/internal/yamlpos"
)

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
	c.win = newWindowCache()
	return c, nil
}

// LoadDir parses every *.yml, *.yaml and *.json file in dir (not recursive,
// sorted by name). It returns every contest that is valid and, joined, every
// problem: the LintErrors of all files in one LintErrors, plus any I/O error.
// A contest id used by an earlier file is an error; the later file is dropped.
func LoadDir(dir string) ([]*Contest, error) {
	return loadDir(dir, "", "contest", Parse, func(c *Contest) (string, string) { return c.ID, c.File })
}

// loadDir is LoadDir and LoadMissionDir: every *.yml, *.yaml and *.json
// file of dir (not recursive, sorted by name) through parse; the valid
// documents, and joined every problem: all LintErrors in one, plus any I/O
// error. An id (of key: id and file) used by an earlier file is a lint
// error of kind ("contest", "mission"); the later file is dropped. what
// names the documents in the error of reading dir ("missions ").
func loadDir[T any](dir, what, kind string, parse func(string, []byte) (T, error), key func(T) (id, file string)) ([]T, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("contest: load %s%s: %w", what, dir, err)
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
		out   []T
		lint  LintErrors
		other []error
		seen  = map[string]string{}
	)
	for _, name := range names {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err != nil {
			other = append(other, fmt.Errorf("contest: read %s: %w", p, err))
			continue
		}
		doc, err := parse(p, data)
		if err != nil {
			var le LintErrors
			if errors.As(err, &le) {
				lint = append(lint, le...)
			} else {
				other = append(other, fmt.Errorf("contest: %s: %w", p, err))
			}
			continue
		}
		id, file := key(doc)
		if prev, dup := seen[id]; dup {
			line, col := idPosition(data)
			lint = append(lint, LintError{File: p, Line: line, Col: col,
				Msg: fmt.Sprintf("id: duplicate %s id %q (also in %s)", kind, id, prev)})
			continue
		}
		seen[id] = file
		out = append(out, doc)
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
		m := yamlpos.Deref(doc.Content[0])
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
	root, probs := yamlpos.Document(data, kind)
	syntax := false
	for _, p := range probs {
		msg := p.Msg
		if p.Syntax {
			syntax, msg = true, "invalid YAML: "+msg
		}
		l.add(LintError{File: l.file, Line: p.Line, Col: p.Col, Msg: msg})
	}
	if root == nil && !syntax {
		l.errAt(nil, "empty %s file", kind)
	}
	return root
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

	l.identity(root, fs, c)
	l.timing(root, fs, c)
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
		l.rewards(f, c)
	}
	c.NotifyTop = l.notifyTop(fs["notify_top"])
	if f := fs["anti_abuse"]; f.present() {
		l.antiAbuse(f, &c.AntiAbuse)
	}
	return c
}
