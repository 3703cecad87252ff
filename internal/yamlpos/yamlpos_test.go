package yamlpos

import (
	"strings"
	"testing"
)

func TestDocumentPositions(t *testing.T) {
	cases := []struct {
		name     string
		src      string
		root     bool
		wantLine int
		wantMsg  string
	}{
		{"empty", "", false, 0, ""},
		{"null", "~\n", false, 0, ""},
		{"mapping", "a: 1\n", true, 0, ""},
		// A scanner error: yaml.v3 counts lines from 1.
		{"tab indent", "a:\n\tb: 1\n", false, 2, "found character that cannot start any token"},
		// A parser error: yaml.v3 counts lines from 0; reported on the
		// line of the unclosed list, 2.
		{"unclosed flow", "a: 1\nb: [1, 2\nc: 3\n", false, 2, "did not find expected ',' or ']'"},
		{"two documents", "a: 1\n---\nb: 2\n", true, 2, "more than one YAML document in a test file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root, probs := Document([]byte(c.src), "test")
			if (root != nil) != c.root {
				t.Fatalf("root %v, want present %v", root, c.root)
			}
			if c.wantMsg == "" {
				if len(probs) != 0 {
					t.Fatalf("problems %+v, want none", probs)
				}
				return
			}
			if len(probs) != 1 || probs[0].Line != c.wantLine || !strings.HasPrefix(probs[0].Msg, c.wantMsg) {
				t.Fatalf("problems %+v, want one at line %d: %s", probs, c.wantLine, c.wantMsg)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	root, _ := Document([]byte("m: {a: 1}\nl: [1]\ns: x\nn: null\nr: *x\n"), "test")
	if root != nil {
		t.Fatal("an unknown alias must be a syntax error")
	}
	root, _ = Document([]byte("m: {a: 1}\nl: [1]\ns: &x \"x y\"\nn: null\nr: *x\n"), "test")
	var got []string
	for i := 1; i < len(root.Content); i += 2 {
		got = append(got, Describe(Deref(root.Content[i])))
	}
	want := []string{"a mapping", "a list", `"x y"`, "null", `"x y"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}
