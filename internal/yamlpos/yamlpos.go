// Package yamlpos is the one place that reads YAML files for linters that
// report positions (the configuration and the contest and mission files): a
// single document, yaml.v3's syntax errors with a 1-based line that agrees
// across error kinds, and the node helpers the linters share.
package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one problem of a file at a position: Line is 1-based, Col is 0
// when unknown.
type Problem struct {
	Line, Col int
	Msg       string
	Syntax    bool // a YAML syntax error, not a second document
}

// errLine is yaml.v3's "yaml: line N: msg".
var errLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserErrors are the messages of yaml.v3's parser errors (as opposed to
// its scanner errors), which it reports with a 0-based line.
var parserErrors = []string{
	"did not find expected",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// SyntaxError is the position and message of a yaml.v3 decoding error:
// the line 1-based for every kind of error (1 when the error names none),
// the message without its "yaml: line N: " prefix.
func SyntaxError(err error) Problem {
	msg, line := err.Error(), 1
	m := errLine.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Line: line, Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
		line = n
	}
	msg = m[2]
	for _, pre := range parserErrors {
		if strings.HasPrefix(msg, pre) {
			line++
			break
		}
	}
	return Problem{Line: line, Msg: msg}
}

// Document decodes the one YAML document of a file of the given kind
// ("contest", "configuration") and returns its root node (aliases
// resolved). The root is nil for an empty or null document and after a
// syntax error in the first one; a syntax error (Syntax) or a second
// document is a problem.
func Document(data []byte, kind string) (*yaml.Node, []Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, []Problem{invalid(err)}
	}
	var probs []Problem
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		probs = append(probs, Problem{Line: extra.Line, Col: extra.Column, Msg: fmt.Sprintf("more than one YAML document in a %s file", kind)})
	} else if !errors.Is(err, io.EOF) {
		probs = append(probs, invalid(err))
	}
	if len(doc.Content) == 0 || IsNull(doc.Content[0]) {
		return nil, probs
	}
	return Deref(doc.Content[0]), probs
}

func invalid(err error) Problem {
	p := SyntaxError(err)
	p.Syntax = true
	return p
}

// Deref follows aliases (at most 100, against cycles).
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is absent or null (after aliases).
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// Describe names what n is, for messages: "a mapping", "a list", "null" or
// the quoted scalar.
func Describe(n *yaml.Node) string {
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
