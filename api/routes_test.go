package api_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/rankstream/rankstream/api"
)

// planned are routes the spec lists for work not built yet; the router
// lacks them. Remove an entry when its route is
// in: from then on it must be in the router like any other.
var planned = map[string]string{}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// specRoutes lists "METHOD /path" of every operation of the spec.
func specRoutes(doc *openapi3.T) map[string]bool {
	out := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out[method+" "+path] = true
		}
	}
	return out
}

// routerRoutes finds every ServeMux registration in the module's code:
// calls of Handle or HandleFunc whose first argument is a "METHOD /path"
// literal. Mux patterns become spec paths: "/{$}" is "/", a subtree
// "/assets/" is "/assets/{…}" (its one path parameter, see specPath).
func routerRoutes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			pattern, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			method, p, ok := strings.Cut(pattern, " ")
			if !ok {
				t.Errorf("%s: route %q has no method", fset.Position(lit.Pos()), pattern)
				return true
			}
			out[method+" "+p] = fset.Position(lit.Pos()).String()
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// matches reports whether mux route r ("GET /assets/", "GET /{$}") is the
// spec route s.
func matches(r, s string) bool {
	rm, rp, _ := strings.Cut(r, " ")
	sm, sp, _ := strings.Cut(s, " ")
	if rm != sm {
		return false
	}
	switch {
	case strings.HasSuffix(rp, "{$}"):
		return strings.TrimSuffix(rp, "{$}") == sp
	case strings.HasSuffix(rp, "/"):
		rest, ok := strings.CutPrefix(sp, rp)
		return ok && strings.HasPrefix(rest, "{") && strings.HasSuffix(rest, "}") && !strings.Contains(rest, "/")
	}
	return rp == sp
}

func TestSpecListsTheRouterRoutes(t *testing.T) {
	spec := specRoutes(loadSpec(t))
	code := routerRoutes(t)
	if len(code) < 15 {
		t.Fatalf("found only %d routes in the code: %v", len(code), code)
	}
	covered := map[string]bool{}
	var missing []string
	for r, where := range code {
		found := false
		for s := range spec {
			if matches(r, s) {
				found, covered[s] = true, true
			}
		}
		if !found {
			missing = append(missing, r+" ("+where+")")
		}
	}
	var extra []string
	for s := range spec {
		switch {
		case covered[s] && planned[s] != "":
			t.Logf("planned route %s is in the router now: remove it from the planned list", s)
		case !covered[s] && planned[s] == "":
			extra = append(extra, s)
		}
	}
	for p := range planned {
		if !spec[p] {
			t.Errorf("planned route %s is not in openapi.yaml", p)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, m := range missing {
		t.Errorf("router has %s, openapi.yaml does not", m)
	}
	for _, e := range extra {
		t.Errorf("openapi.yaml has %s, the router does not (nor is it planned)", e)
	}
}
