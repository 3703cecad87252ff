package contest

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/yamlpos"
)

var (
	goalTypes   = []string{GoalSpinCount, GoalWinMultiplier, GoalWagerTotal, GoalDistinctGames}
	rewardKinds = []string{KindCash, KindBonus, KindFreespins, KindPoints}
	currencyRE  = regexp.MustCompile(`^[A-Z]{3}$`)
)

// baseKeys are the mission keys that mean what they mean in a contest; they
// are validated by the contest parser itself.
var baseKeys = []string{"id", "title", "version", "window", "schedule", "lateness", "scope", "eligibility", "anti_abuse"}

// ParseMission parses and validates one mission file (YAML or JSON) and
// reports every problem as LintErrors at the offending line, like Parse.
func ParseMission(file string, data []byte) (*Mission, error) {
	l := &linter{file: file}
	m := l.parseMissionFile(data)
	if errs := l.result(); errs != nil {
		return nil, errs
	}
	m.File, m.Source = file, data
	m.Base.File, m.Base.Source = file, data
	m.Base.win = newWindowCache() // as a contest's: no cron Next nor slice per event
	return m, nil
}

// IsMissionFile reports whether data looks like a mission (a top-level
// "steps" key), so that one lint command can take both kinds of file.
func IsMissionFile(data []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
		return false
	}
	root := yamlpos.Deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "steps" {
			return true
		}
	}
	return false
}

// LoadMissionDir parses every *.yml, *.yaml and *.json file of dir like
// LoadDir: the valid missions, and every problem joined.
func LoadMissionDir(dir string) ([]*Mission, error) {
	return loadDir(dir, "missions ", "mission", ParseMission, func(m *Mission) (string, string) { return m.ID, m.File })
}

func (l *linter) parseMissionFile(data []byte) *Mission {
	root := l.singleDocument(data, "mission")
	if root == nil {
		return nil
	}
	return l.mission(root)
}

// mission validates the root mapping. The contest keys go through the
// contest parser (with a stand-in scoring section), the rest is parsed here.
func (l *linter) mission(root *yaml.Node) *Mission {
	m := &Mission{Version: 1, MaxEventDelay: DefaultMaxEventDelay, ClaimWindow: DefaultClaimWindow}
	allowed := append(append([]string(nil), baseKeys...), "max_event_delay", "steps", "completion_reward", "auto_grant", "claim_window")
	fs := l.fields(root, "", allowed...)
	if fs == nil {
		return m
	}
	base := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: root.Line, Column: root.Column}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if oneOf(yamlpos.Deref(root.Content[i]).Value, baseKeys) {
			base.Content = append(base.Content, root.Content[i], root.Content[i+1])
		}
	}
	var scoring yaml.Node
	_ = yaml.Unmarshal([]byte("scoring: {model: wager}"), &scoring)
	base.Content = append(base.Content, scoring.Content[0].Content...)
	m.Base = l.contest(base)
	m.ID, m.Title, m.Version = m.Base.ID, m.Base.Title, m.Base.Version

	if f := fs["max_event_delay"]; f.present() {
		m.MaxEventDelay, _ = l.duration(f, "max_event_delay", true)
	}
	if f := fs["claim_window"]; f.present() {
		m.ClaimWindow, _ = l.duration(f, "claim_window", true)
	}
	if f := fs["auto_grant"]; f.present() {
		if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!bool" {
			l.errAt(f.val, "auto_grant: must be true or false, got %s", yamlpos.Describe(f.val))
		} else {
			_ = f.val.Decode(&m.AutoGrant)
		}
	}
	if f := fs["steps"]; f.present() {
		l.steps(f, m)
	} else {
		l.missing(root, "", "steps")
	}
	if f := fs["completion_reward"]; f.present() {
		m.Completion = l.missionReward(f, "completion_reward")
	}
	return m
}

func (l *linter) steps(f kv, m *Mission) {
	if f.val.Kind != yaml.SequenceNode || len(f.val.Content) == 0 {
		l.errAt(f.val, "steps: must be a non-empty list, got %s", yamlpos.Describe(f.val))
		return
	}
	if len(f.val.Content) > MaxSteps {
		l.errAt(f.val, "steps: at most %d steps, got %d", MaxSteps, len(f.val.Content))
		return
	}
	seen := map[string]bool{}
	for i, n := range f.val.Content {
		p := fmt.Sprintf("steps[%d]", i)
		fs := l.fields(n, p, "id", "goal", "reward")
		if fs == nil {
			continue
		}
		var st Step
		if g := fs["id"]; g.present() {
			if s, ok := l.str(g, p+".id"); ok {
				switch {
				case !event.ValidToken(s, 1, 64):
					l.errAt(g.val, "%s.id: must be 1..64 chars of [A-Za-z0-9_-], got %q", p, s)
				case s == StepCompletion:
					l.errAt(g.val, "%s.id: %q is reserved for the completion reward", p, s)
				case seen[s]:
					l.errAt(g.val, "%s.id: duplicate step id %q", p, s)
				}
				seen[s] = true
				st.ID = s
			}
		} else {
			l.missing(n, p, "id")
		}
		if g := fs["goal"]; g.present() {
			st.Goal = l.goal(g, p+".goal")
		} else {
			l.missing(n, p, "goal")
		}
		if g := fs["reward"]; g.present() {
			st.Reward = l.missionReward(g, p+".reward")
		}
		m.Steps = append(m.Steps, st)
	}
}

func (l *linter) goal(f kv, p string) Goal {
	var g Goal
	fs := l.fields(f.val, p, "type", "count", "min", "amount_minor", "scope")
	if fs == nil {
		return g
	}
	need := ""
	if t := fs["type"]; t.present() {
		if s, ok := l.str(t, p+".type"); ok {
			g.Type = s
			switch s {
			case GoalSpinCount, GoalDistinctGames:
				need = "count"
			case GoalWinMultiplier:
				need = "min"
			case GoalWagerTotal:
				need = "amount_minor"
			default:
				l.errAt(t.val, "%s.type: unknown goal %q (want one of %s)", p, s, strings.Join(goalTypes, ", "))
			}
		}
	} else {
		l.missing(f.key, p, "type")
	}
	for _, k := range []string{"count", "min", "amount_minor"} {
		v := fs[k]
		switch {
		case need == "" && v.present():
		case k == need && !v.present():
			l.errAt(f.key, "%s.%s: required for goal %s", p, k, g.Type)
		case k != need && v.present():
			l.errAt(v.key, "%s.%s: not allowed for goal %s", p, k, g.Type)
		case k == need && k == "min":
			g.Min, _ = l.number(v, p+".min")
		case k == need && k == "count":
			g.Count, _ = l.integer(v, p+".count", 1)
		case k == need:
			g.AmountMinor, _ = l.integer(v, p+".amount_minor", 1)
		}
	}
	if s := fs["scope"]; s.present() {
		l.scope(s, &g.Scope)
	}
	return g
}

// missionReward parses {kind, amount | amount_minor + currency, game}:
// cash and bonus pay amount_minor in currency; freespins and points pay
// amount (freespins optionally for one game).
func (l *linter) missionReward(f kv, p string) *MissionReward {
	fs := l.fields(f.val, p, "kind", "amount", "amount_minor", "currency", "game")
	if fs == nil {
		return nil
	}
	r := &MissionReward{}
	if g := fs["kind"]; g.present() {
		if s, ok := l.str(g, p+".kind"); ok {
			if !oneOf(s, rewardKinds) {
				l.errAt(g.val, "%s.kind: unknown kind %q (want one of %s)", p, s, strings.Join(rewardKinds, ", "))
			}
			r.Kind = s
		}
	} else {
		l.missing(f.key, p, "kind")
	}
	money := r.Kind == KindCash || r.Kind == KindBonus
	amt, minor, cur, game := fs["amount"], fs["amount_minor"], fs["currency"], fs["game"]
	switch {
	case r.Kind == "":
	case money && amt.present():
		l.errAt(amt.key, "%s.amount: kind %s pays amount_minor", p, r.Kind)
	case money && !minor.present():
		l.errAt(f.key, "%s.amount_minor: required for kind %s", p, r.Kind)
	case money && !cur.present():
		l.errAt(f.key, "%s.currency: required for kind %s", p, r.Kind)
	case !money && (minor.present() || cur.present()):
		l.errAt(later(minor.keyOr(cur), cur.keyOr(minor)), "%s: kind %s pays amount, not amount_minor/currency", p, r.Kind)
	case !money && !amt.present():
		l.errAt(f.key, "%s.amount: required for kind %s", p, r.Kind)
	}
	if amt.present() {
		r.Amount, _ = l.integer(amt, p+".amount", 1)
	}
	if minor.present() {
		r.AmountMinor, _ = l.integer(minor, p+".amount_minor", 1)
	}
	if cur.present() {
		if s, ok := l.str(cur, p+".currency"); ok {
			if !currencyRE.MatchString(s) {
				l.errAt(cur.val, "%s.currency: must be 3 capital letters, got %q", p, s)
			}
			r.Currency = s
		}
	}
	if game.present() {
		if s, ok := l.str(game, p+".game"); ok {
			if r.Kind != KindFreespins {
				l.errAt(game.key, "%s.game: only for kind freespins", p)
			} else if !event.ValidToken(s, 1, 64) {
				l.errAt(game.val, "%s.game: must be a game id of [A-Za-z0-9_-], got %q", p, s)
			}
			r.Game = s
		}
	}
	return r
}

// keyOr returns f's key node, or o's when f is absent.
func (f kv) keyOr(o kv) *yaml.Node {
	if f.key != nil {
		return f.key
	}
	return o.key
}
