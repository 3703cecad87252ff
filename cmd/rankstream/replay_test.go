package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/snapshotter"
)

func parseContest(t *testing.T, yml string) *contest.Contest {
	t.Helper()
	c, err := contest.Parse("test.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// opsConfig writes a config for replay/simulate pointing at a's NATS and env's Postgres.
func opsConfig(t *testing.T, a *app.App, env apptest.Env) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "ops.yml")
	os.WriteFile(p, []byte(fmt.Sprintf("nats: {url: %q}\npostgres: {url: %q}\ncontests_dir: %s\n",
		a.Streams.URL(), env.PostgresURL, dir)), 0o644)
	return p
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestReplayVerify: replay --verify exits 0 when the stored snapshot equals
// the replay, and 1 with a readable diff when a superuser altered a row
// (hash chain broken) or when a snapshot's standings differ from the replay
// (even with its hashes recomputed so that the chain holds).
func TestReplayVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	now := time.Now().UTC()
	win := liveWindow(now)
	cs := []*contest.Contest{
		parseContest(t, "id: v_a\ntitle: A\n"+win+"scoring: {model: wager}\nleaderboard: {type: sum, divisions: market, tiebreakers: [earliest_finish]}\n"),
		parseContest(t, "id: v_b\ntitle: B\n"+win+"scoring: {model: win_amount}\nleaderboard: {type: max}\n"),
	}
	env := apptest.NewEnv(t)
	a := apptest.Start(t, env, cs)
	for i := 0; i < 300; i++ {
		user := fmt.Sprintf("u_%d", i%40)
		publishMarketEvent(t, a, fmt.Sprintf("e%d", i), user, now.Add(-time.Duration(i)*time.Second), int64(i))
	}
	apptest.Settle(t, a)
	waitBoardsStill(t, a)
	if err := a.Snapshotter.Hourly(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := opsConfig(t, a, env)

	code, out, errOut := runCLI("replay", "--config", cfg, "--contest", "v_a", "--top", "3")
	if code != 0 || !strings.Contains(out, "division DE") || !strings.Contains(out, "pos") {
		t.Fatalf("replay: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "replayed 300 events") {
		t.Errorf("no replay summary on stderr: %s", errOut)
	}
	for _, c := range []string{"v_a", "v_b"} {
		code, out, errOut = runCLI("replay", "--config", cfg, "--contest", c, "--verify", "--no-progress")
		if code != 0 || strings.Contains(out, "DIFF") || !strings.Contains(out, "OK ") {
			t.Fatalf("verify %s of an honest snapshot: %d\n%s\n%s", c, code, out, errOut)
		}
	}

	su, err := pgx.Connect(ctx, env.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(ctx)
	if _, err := su.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	verifyAlteredRow(ctx, t, su, cfg)
	forged := verifyForgedStanding(ctx, t, su, a, cfg, now)
	replayRulesAndSimulate(t, cfg, win, now, forged)
}

// verifyAlteredRow: a superuser raises one score of v_a in place; verify
// names the broken chain and the altered position.
func verifyAlteredRow(ctx context.Context, t *testing.T, su *pgx.Conn, cfg string) {
	t.Helper()
	if _, err := su.Exec(ctx, `UPDATE snapshot_rows SET score = score + 1000 WHERE pos = 2 AND snapshot_id =
		(SELECT id FROM snapshots WHERE contest_id = 'v_a' AND division = 'DE')`); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("replay", "--config", cfg, "--contest", "v_a", "--verify", "--no-progress")
	if code != 1 || !strings.Contains(out, "CHAIN BROKEN") || !strings.Contains(out, "standings were altered") ||
		!strings.Contains(out, "pos 2: snapshot") || !strings.Contains(out, "OK v_a window") {
		t.Fatalf("verify after altering a row: %d\n%s", code, out)
	}
	t.Logf("verify after a superuser altered a row:\n%s", out)
}

// verifyForgedStanding: a forged standing of v_b with every hash
// recomputed: the chain holds, the replay does not agree. It returns the
// forged top score's original value.
func verifyForgedStanding(ctx context.Context, t *testing.T, su *pgx.Conn, a *app.App, cfg string, now time.Time) int64 {
	t.Helper()
	store := snapshotter.NewStore(a.DB)
	bid := contest.BoardID{Contest: "v_b", Window: now.Add(-time.Hour).Truncate(time.Second).Unix()}
	snap, err := store.LatestSnapshot(ctx, bid)
	if err != nil {
		t.Fatal(err)
	}
	snap.Rows[0].Standing.Score += 7
	sh := snapshotter.StandingsHash(snap.Rows)
	h := snap.Header
	h.StandingsHash = sh
	hh := snapshotter.SnapshotHash(&h)
	for _, q := range []string{
		fmt.Sprintf("UPDATE snapshot_rows SET score = score + 7 WHERE pos = 1 AND snapshot_id = %d", snap.ID),
		fmt.Sprintf("UPDATE snapshots SET standings_hash = '\\x%x', hash = '\\x%x' WHERE id = %d", sh, hh, snap.ID),
	} {
		if _, err := su.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := runCLI("replay", "--config", cfg, "--contest", "v_b", "--verify", "--no-progress")
	if code != 1 || strings.Contains(out, "CHAIN BROKEN") || !strings.Contains(out, "DIFF v_b") ||
		!strings.Contains(out, "pos 1: snapshot "+snap.Rows[0].User+" score") {
		t.Fatalf("verify of a forged standing: %d\n%s", code, out)
	}
	t.Logf("verify of a forged standing:\n%s", out)
	return snap.Rows[0].Standing.Score - 7
}

// replayRulesAndSimulate: --rules recomputes v_b with another rules file
// (its top, top score before forging, doubled); simulate runs a draft over
// the events of the last 100 seconds with its payouts.
func replayRulesAndSimulate(t *testing.T, cfg, win string, now time.Time, top int64) {
	t.Helper()
	other := filepath.Join(t.TempDir(), "other.yml")
	os.WriteFile(other, []byte("id: whatever\ntitle: B doubled\n"+win+"scoring: {formula: \"win * 2\"}\nleaderboard: {type: max}\n"), 0o644)
	code, out, _ := runCLI("replay", "--config", cfg, "--contest", "v_b", "--rules", other, "--no-progress", "--top", "1")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d", 2*top)) {
		t.Fatalf("replay --rules: %d\n%s", code, out)
	}

	// simulate: the draft over events with ts in the last 100 seconds,
	// with the payouts its rewards block would make.
	draft := filepath.Join(t.TempDir(), "draft.yml")
	os.WriteFile(draft, []byte("id: whatever\ntitle: B doubled\n"+win+"scoring: {formula: \"win * 2\"}\nleaderboard: {type: max}\n"+
		"rewards: {pool: {currency: EUR, total_minor: 1000}, distribution: ladder, ladder: [{ranks: \"1\", share: 0.5}]}\n"), 0o644)
	code, out, _ = runCLI("simulate", "--config", cfg, "--rules", draft, "--no-progress",
		"--from", now.Add(-100*time.Second).Format(time.RFC3339Nano), "--to", now.Add(time.Second).Format(time.RFC3339Nano))
	if code != 0 || !strings.Contains(out, "what-if whatever") || !strings.Contains(out, "payout_minor") ||
		!strings.Contains(out, "payouts (ladder, cash): 1 winners, 500 of pool 1000 EUR paid") {
		t.Fatalf("simulate: %d\n%s", code, out)
	}
	t.Logf("simulate:\n%s", out)
}

// waitBoardsStill waits (≤ 10s) until no board's standings change for 1s:
// under -race the scorer's coalesced flushes can trail Settle.
func waitBoardsStill(t *testing.T, a *app.App) {
	t.Helper()
	sum := func() string {
		var b strings.Builder
		for _, id := range a.Ranker.BoardIDs() {
			h := snapshotter.StandingsHash(a.Ranker.Board(id))
			fmt.Fprintf(&b, "%v:%x;", id, h[:4])
		}
		return b.String()
	}
	prev, still := sum(), time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cur := sum(); cur != prev {
			prev, still = cur, time.Now()
		} else if time.Since(still) >= time.Second {
			return
		}
	}
}
