package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/internal/app/apptest"
)

// TestSimulateMission: simulate with a draft mission file prints each user's
// step progress and the rewards it would report.
func TestSimulateMission(t *testing.T) {
	now := time.Now().UTC()
	env := apptest.NewEnv(t)
	a := apptest.Start(t, env, nil)
	for i := 0; i < 5; i++ {
		user := []string{"u_1", "u_1", "u_1", "u_2", "u_3"}[i]
		apptest.Publish(t, a, "acme", user, fmt.Sprintf("e%d", i),
			apptest.Event(fmt.Sprintf("e%d", i), user, "acme", now.Add(-time.Duration(10+i)*time.Second), 100, 0, "DE"))
	}
	apptest.Settle(t, a)
	draft := filepath.Join(t.TempDir(), "m.yml")
	os.WriteFile(draft, []byte(fmt.Sprintf(`id: m_draft
title: Draft
window: {start: %s, end: %s}
steps:
  - {id: s1, goal: {type: spin_count, count: 2}, reward: {kind: points, amount: 5}}
  - {id: s2, goal: {type: wager_total, amount_minor: 1000}}
`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))), 0o644)
	code, out, errs := runCLI("simulate", "--config", opsConfig(t, a, env), "--rules", draft, "--no-progress",
		"--from", now.Add(-time.Minute).Format(time.RFC3339), "--to", now.Add(time.Minute).Format(time.RFC3339))
	if code != 0 || !strings.Contains(out, "what-if mission m_draft") {
		t.Fatalf("simulate: %d\n%s\n%s", code, out, errs)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"u_1 s1 2/2*, s2 100/1000 s1 u_2", "u_2 s1 1/2, s2 0/1000 u_3", "u_3 s1 1/2, s2 0/1000"} {
		if !strings.Contains(flat, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
