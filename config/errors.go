package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rankstream/rankstream/internal/yamlpos"
)

// ErrInvalid matches (errors.Is) every error of Load about the configuration's
// content, as opposed to failing to read the file.
var ErrInvalid = errors.New("invalid configuration")

// Error is one problem of the configuration, with where it came from.
type Error struct {
	File string // the config file, "" when the value is not from a file
	Line int    // line in File, 0 when unknown
	Env  string // the environment variable the value came from, or ""
	Key  string // dotted path of the key, e.g. "nats.partitions"; "" for the document
	Msg  string
}

// Error formats the problem as "file:line: key: msg" or "ENV_VAR: key: msg".
func (e Error) Error() string {
	var b strings.Builder
	switch {
	case e.Env != "":
		b.WriteString(e.Env)
		b.WriteString(": ")
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File)
		b.WriteString(": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes errors.Is(e, ErrInvalid) true.
func (e Error) Is(target error) bool { return target == ErrInvalid }

// Errors is every problem found, in file order then environment and
// validation order. It prints one line per problem.
type Errors []Error

func (es Errors) Error() string { return yamlpos.Lines(es) }

// Unwrap exposes the single problems to errors.Is / errors.As.
func (es Errors) Unwrap() []error { return yamlpos.Unwrap(es) }

// Is makes errors.Is(es, ErrInvalid) true.
func (es Errors) Is(target error) bool { return target == ErrInvalid }
