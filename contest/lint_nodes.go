package contest

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/internal/yamlpos"
)

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
func (f kv) present() bool { return f.val != nil && !yamlpos.IsNull(f.val) }

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
	n = yamlpos.Deref(n)
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "%smust be a mapping", label(p))
		return nil
	}
	out := make(map[string]kv, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamlpos.Deref(n.Content[i]), yamlpos.Deref(n.Content[i+1])
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
		l.errAt(v, "%s: must be an integer >= %d, got %s", p, minimum, yamlpos.Describe(v))
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
		l.errAt(v, "%s: must be a number >= 0, got %s", p, yamlpos.Describe(v))
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
		l.errAt(v, "%s: must be a duration such as 90s or 24h, got %s", p, yamlpos.Describe(v))
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
		l.errAt(v, "%s: must be an RFC 3339 time, got %s", p, yamlpos.Describe(v))
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
		l.errAt(v, "%s: must be a list, got %s", p, yamlpos.Describe(v))
		return nil, nil, false
	}
	ok := true
	var vals []string
	var nodes []*yaml.Node
	for i, it := range v.Content {
		it = yamlpos.Deref(it)
		if it.Kind != yaml.ScalarNode || yamlpos.IsNull(it) || it.Value == "" {
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

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if a == v {
			return true
		}
	}
	return false
}
