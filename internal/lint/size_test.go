package lint

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The size rules of the house (docs/architecture.md "Size and layers").
const (
	maxFileLines = 500
	maxFuncLines = 80
)

// generated is the marker of generated Go files (go help generate); they are
// not held to the size rules.
var generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// TestFileAndFunctionSize fails for every .go file over maxFileLines lines and
// every function (or method) over maxFuncLines lines that is not on the
// allow-list (allowlist_test.go), and for allow-list entries that are no
// longer needed, so the list only shrinks.
func TestFileAndFunctionSize(t *testing.T) {
	root := repoRoot(t)
	var found []string
	for _, rel := range goFiles(t, root) {
		src, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if generated.Match(src) {
			continue
		}
		found = append(found, oversized(t, rel, src)...)
	}
	checkAllowed(t, found)
}

// oversized lists the keys ("file" or "file:Func") of rel that break a rule,
// with their sizes, as "key lines".
func oversized(t *testing.T, rel string, src []byte) []string {
	t.Helper()
	var out []string
	if n := bytes.Count(src, []byte{'\n'}); n > maxFileLines {
		out = append(out, fmt.Sprintf("%s %d", rel, n))
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
		if n > maxFuncLines {
			out = append(out, fmt.Sprintf("%s:%s %d", rel, funcName(fd), n))
		}
	}
	return out
}

// funcName is Name or Recv.Name, e.g. "Scorer.Run".
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
			continue
		case *ast.IndexExpr:
			typ = x.X
			continue
		case *ast.IndexListExpr:
			typ = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fd.Name.Name
	}
}

// checkAllowed reports what breaks a rule and is not allowed, and allowed
// entries that no longer break one.
func checkAllowed(t *testing.T, found []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range found {
		key, _, _ := strings.Cut(f, " ")
		seen[key] = true
		if _, ok := sizeAllowed[key]; !ok {
			t.Errorf("%s lines: over the limit (files %d, functions %d); split it, or add it to sizeAllowed with the reason", f, maxFileLines, maxFuncLines)
		}
	}
	var stale []string
	for key := range sizeAllowed {
		if !seen[key] {
			stale = append(stale, key)
		}
	}
	sort.Strings(stale)
	for _, key := range stale {
		t.Errorf("%s is on sizeAllowed but within the limits now: remove it from the list", key)
	}
}

// repoRoot is the module root (the directory of go.mod).
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		t.Fatal("not inside the module")
	}
	return filepath.Dir(mod)
}

// goFiles lists the module's .go files (relative, slash-separated) outside
// testdata and vendor directories and hidden ones.
func goFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
