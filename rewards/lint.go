package rewards

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/contest"
)

// linter collects the problems of one rewards block with their positions.
type linter struct {
	file string
	errs contest.LintErrors
}

func (l *linter) errAt(n *yaml.Node, format string, args ...any) {
	line, col := 1, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	l.errs = append(l.errs, contest.LintError{File: l.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

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

// fields checks that n is a mapping of known, unique keys and returns its
// non-null values by key; nil when n is not a mapping (reported).
func (l *linter) fields(n *yaml.Node, p string, allowed ...string) map[string]*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		l.errAt(n, "%s: must be a mapping", p)
		return nil
	}
	out := map[string]*yaml.Node{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		switch {
		case !contains(allowed, k.Value):
			l.errAt(k, "%s: unknown field %q", p, k.Value)
		case seen[k.Value]:
			l.errAt(k, "%s: duplicate field %q", p, k.Value)
		default:
			seen[k.Value] = true
			if !isNull(v) {
				out[k.Value] = v
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *linter) str(n *yaml.Node, p string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		l.errAt(n, "%s: must be a string", p)
		return "", false
	}
	return n.Value, true
}

func (l *linter) integer(n *yaml.Node, p string, minimum int64) (int64, bool) {
	var v int64
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil || v < minimum {
		l.errAt(n, "%s: must be an integer >= %d, got %q", p, minimum, n.Value)
		return 0, false
	}
	return v, true
}

func (l *linter) boolean(n *yaml.Node, p string) (bool, bool) {
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		l.errAt(n, "%s: must be true or false, got %q", p, n.Value)
		return false, false
	}
	return v, true
}

func (l *linter) duration(n *yaml.Node, p string) (time.Duration, bool) {
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || d < 0 {
		l.errAt(n, "%s: must be a duration >= 0 like 10m or 72h, got %q", p, n.Value)
		return 0, false
	}
	return d, true
}

var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// share reads a number in [0, 1] exactly, as the decimal it is written as
// (0.30 is 3/10, not the nearest binary fraction).
func (l *linter) share(n *yaml.Node, p string) (*big.Rat, bool) {
	r, ok := new(big.Rat).SetString(n.Value)
	if n.Kind != yaml.ScalarNode || !decimalRE.MatchString(strings.TrimSpace(n.Value)) || !ok ||
		r.Cmp(new(big.Rat).SetInt64(1)) > 0 {
		l.errAt(n, "%s: must be a number between 0 and 1, got %q", p, n.Value)
		return nil, false
	}
	return r, true
}

// rewardsNode finds the value of the top-level "rewards" key of a contest
// file; nil when there is none.
func rewardsNode(src []byte) *yaml.Node {
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) != 1 {
		return nil
	}
	m := deref(doc.Content[0])
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "rewards" {
			return deref(m.Content[i+1])
		}
	}
	return nil
}
