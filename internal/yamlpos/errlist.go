package yamlpos

import "strings"

// Lines is the Error of a list of problems: one line per problem.
func Lines[E error](es []E) string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap is the Unwrap of a list of problems: each one, for errors.Is and
// errors.As.
func Unwrap[E error](es []E) []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
