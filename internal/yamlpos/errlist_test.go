package yamlpos

import (
	"errors"
	"testing"
)

type posErr struct{ msg string }

func (e posErr) Error() string { return e.msg }

// TestLinesAndUnwrap: a list of problems prints one line each and unwraps
// to each of them.
func TestLinesAndUnwrap(t *testing.T) {
	es := []posErr{{"a.yml:1: first"}, {"a.yml:3: second"}}
	if got := Lines(es); got != "a.yml:1: first\na.yml:3: second" {
		t.Errorf("Lines = %q", got)
	}
	if got := Lines([]posErr(nil)); got != "" {
		t.Errorf("Lines of none = %q", got)
	}
	u := Unwrap(es)
	var pe posErr
	if len(u) != 2 || !errors.As(u[1], &pe) || pe.msg != "a.yml:3: second" {
		t.Errorf("Unwrap = %v", u)
	}
}
