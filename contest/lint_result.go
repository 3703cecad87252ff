package contest

import (
	"fmt"
	"sort"
)

// MaxLintErrors is the most problems reported for one file; the rest are
// counted in a last "more not shown" error. A 1 MiB file can hold half a
// million bad list items, and listing each cost a second and an answer of
// tens of megabytes.
const MaxLintErrors = 100

// add records a problem, or counts it once MaxLintErrors are recorded.
func (l *linter) add(e LintError) {
	if len(l.errs) >= MaxLintErrors {
		l.dropped++
		return
	}
	l.errs = append(l.errs, e)
}

// result is the problems in position order, nil when there are none.
func (l *linter) result() LintErrors {
	if len(l.errs) == 0 {
		return nil
	}
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i], l.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if l.dropped > 0 {
		last := l.errs[len(l.errs)-1]
		l.errs = append(l.errs, LintError{File: l.file, Line: last.Line, Col: last.Col,
			Msg: fmt.Sprintf("too many problems: %d more not shown", l.dropped)})
	}
	return l.errs
}
