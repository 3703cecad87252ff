package contest

import (
	"fmt"

	"github.com/rankstream/rankstream/internal/yamlpos"
)

// LintError is one problem in a contest file, with its position.
type LintError struct {
	File      string
	Line, Col int
	Msg       string
}

// Error formats the problem as "file:line:col: msg" (":col" omitted when 0).
func (e LintError) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// LintErrors is every problem found in one or more contest files, in file and
// position order. It is an error printing one line per problem.
type LintErrors []LintError

func (es LintErrors) Error() string { return yamlpos.Lines(es) }

// Unwrap exposes the single problems to errors.Is / errors.As.
func (es LintErrors) Unwrap() []error { return yamlpos.Unwrap(es) }
