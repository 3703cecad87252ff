package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestLintTakesMissionFiles(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cmdLint([]string{"../../contest/testdata/missions/halloween.good.yml", "../../contest/testdata/full.good.yml"}, &out, &errb); code != 0 {
		t.Fatalf("good files: exit %d: %s", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := cmdLint([]string{"../../contest/testdata/missions/steps.bad.yml"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "steps.bad.yml:14:9: steps[1].id: duplicate step id") {
		t.Fatalf("bad mission: exit %d: %s", code, errb.String())
	}
}
