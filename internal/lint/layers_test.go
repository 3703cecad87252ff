package lint

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/rankstream/rankstream/"

// testKitLayer is the layer name of the packages only tests may import.
const testKitLayer = "test"

// TestNoImportFromAbove checks the layer table of docs/architecture.md
// ("Layers"): every package of the module is in it, a package imports only
// packages of its own layer or below, and no package outside the test kits
// imports a test kit. Test files are not checked (they may use the kits).
func TestNoImportFromAbove(t *testing.T) {
	root := repoRoot(t)
	layers := readLayers(t, filepath.Join(root, "docs", "architecture.md"))
	for pkg, imports := range listImports(t, root) {
		lp, ok := layers[pkg]
		if !ok {
			t.Errorf("%s is in no layer: add it to the layer table of docs/architecture.md", pkg)
			continue
		}
		for _, imp := range imports {
			li, ok := layers[imp]
			switch {
			case !ok:
				continue // reported as a package of its own
			case li == testKitLayer && lp != testKitLayer:
				t.Errorf("%s imports the test kit %s", pkg, imp)
			case lp == testKitLayer || li == testKitLayer:
			case layerNum(t, li) > layerNum(t, lp):
				t.Errorf("%s (layer %s) imports %s (layer %s), a layer above it", pkg, lp, imp, li)
			}
		}
	}
}

// listImports is each package of the module (path without the module
// prefix) with the module packages its non-test files import.
func listImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		pkg := strings.TrimPrefix(f[0], module)
		pkgs[pkg] = nil
		for _, imp := range f[1:] {
			if rel, ok := strings.CutPrefix(imp, module); ok {
				pkgs[pkg] = append(pkgs[pkg], rel)
			}
		}
	}
	return pkgs
}

var (
	layerRow = regexp.MustCompile("^\\|\\s*([0-9]+|" + testKitLayer + ")\\b[^|]*\\|(.*)\\|\\s*$")
	quoted   = regexp.MustCompile("`([^`]+)`")
)

// readLayers reads the table under "## Layers" of the doc: rows
// "| <n or test> <name> | `pkg`, `pkg` … |", and returns each package's layer.
func readLayers(t *testing.T, doc string) map[string]string {
	t.Helper()
	f, err := os.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	layers := map[string]string{}
	in := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.TrimSpace(line[3:]) == "Layers"
			continue
		}
		m := layerRow.FindStringSubmatch(line)
		if !in || m == nil {
			continue
		}
		for _, q := range quoted.FindAllStringSubmatch(m[2], -1) {
			if prev, dup := layers[q[1]]; dup {
				t.Errorf("%s: %s is in layers %s and %s", doc, q[1], prev, m[1])
			}
			layers[q[1]] = m[1]
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(layers) == 0 {
		t.Fatalf("%s: no layer table under \"## Layers\"", doc)
	}
	return layers
}

func layerNum(t *testing.T, l string) int {
	t.Helper()
	n, err := strconv.Atoi(l)
	if err != nil {
		t.Fatalf("layer %q: %v", l, err)
	}
	return n
}
