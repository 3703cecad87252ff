package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/livetest"
)

const chromiumPath = "/usr/bin/chromium"

// repoRoot finds the directory of go.mod above the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// browser starts headless Chromium (Debian's package) with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing under CI: make test installs it (scripts/services.sh --chromium)", chromiumPath)
		}
		t.Skipf("browser test skipped: %s not installed (apt-get install chromium, or ./scripts/services.sh --chromium)", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// within runs steps with a timeout.
func within(t *testing.T, ctx context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).textContent`, id)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitText polls until the element's text satisfies the JavaScript condition
// on the variable s.
func waitText(t *testing.T, ctx context.Context, id, cond string) {
	t.Helper()
	expr := fmt.Sprintf(`(() => { const s = document.getElementById(%q).textContent; return %s; })()`, id, cond)
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("#%s: %s never held (text now %q): %v", id, cond, text(t, ctx, id), err)
	}
}

// Log in on the page, send events for that player, see the position change
// on screen; keep a screenshot as artifacts/live-page.png.
func TestLivePageInChromium(t *testing.T) {
	ctx := browser(t)
	e := livetest.Start(t, app.LiveOptions{})
	e.Event("rival_a", 500)
	e.Event("rival_b", 300)

	within(t, ctx, 20*time.Second, "open and register",
		chromedp.Navigate(e.Base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login"), "player_1"),
		chromedp.SendKeys(chromedp.ID("password"), "secret-pass-1"),
		chromedp.Click(chromedp.ID("btn-register")),
		chromedp.WaitVisible(chromedp.ID("live-view")),
	)
	// Connected and subscribed to the live contest: the top 10 shows the rivals.
	within(t, ctx, 20*time.Second, "live",
		chromedp.Poll[chromedp.Void](`document.body.dataset.ws === "open"`, chromedp.WithPollingInterval(50*time.Millisecond)),
		chromedp.Poll[chromedp.Void](`document.getElementById("contest").value === "`+livetest.ContestID+`"`, chromedp.WithPollingInterval(50*time.Millisecond)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#top-list li").length === 2`, chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	if s := text(t, ctx, "my-pos"); s != "–" {
		t.Fatalf("position before any event: %q", s)
	}
	waitText(t, ctx, "countdown", `/^\d\d:\d\d:\d\d$/.test(s)`)

	// First points: third place.
	e.Event("player_1", 100)
	waitText(t, ctx, "my-pos", `s === "3"`)
	waitText(t, ctx, "gap", `s === "200 points to place 2"`)

	// +250: past rival_b, second place; the page says so.
	t0 := time.Now()
	e.Event("player_1", 250)
	waitText(t, ctx, "my-pos", `s === "2"`)
	t.Logf("position on screen %s after the event was acked", time.Since(t0))
	waitText(t, ctx, "feed", `s.includes("+250 points") && s.includes("you rose 1 place")`)
	waitText(t, ctx, "my-score", `s === "350"`)
	waitText(t, ctx, "gap", `s === "150 points to place 1"`)

	// A rival overtakes: the player drops without scoring.
	e.Event("rival_b", 200)
	waitText(t, ctx, "my-pos", `s === "3"`)
	waitText(t, ctx, "feed", `s.includes("you dropped 1 place")`)
	within(t, ctx, 10*time.Second, "own row highlighted",
		chromedp.Poll[chromedp.Void](`(() => { const li = document.querySelector("#top-list li.me"); return !!li && li.dataset.user === "player_1"; })()`,
			chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	time.Sleep(700 * time.Millisecond) // let the row animation settle for the picture

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repoRoot(t), "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "live-page.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if feed := text(t, ctx, "feed"); !strings.Contains(feed, "+100 points") && !strings.Contains(feed, "on the board") {
		t.Fatalf("feed %q", feed)
	}
}

// Logging in with a wrong password shows the error and stays on the form.
func TestLivePageLoginRefused(t *testing.T) {
	ctx := browser(t)
	e := livetest.Start(t, app.LiveOptions{})
	e.Player("known_1")
	within(t, ctx, 20*time.Second, "wrong password",
		chromedp.Navigate(e.Base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login"), "known_1"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.Click(chromedp.ID("btn-login")),
	)
	waitText(t, ctx, "auth-error", `s === "invalid login or password"`)

	// A stored token the server refuses (forged) sends the page back to the form.
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	within(t, ctx, 20*time.Second, "forged session",
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem("rs_session", JSON.stringify({token: "e30.e30.forged", user: "known_1", expires_at: "`+exp+`"}))`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("login-form")),
	)
	waitText(t, ctx, "auth-error", `s.startsWith("session expired")`)
}

// The page shows the prize of the player's place; once the window is
// finalized and paid, the player claims the reward with the button.
func TestLivePageClaimsReward(t *testing.T) {
	ctx := browser(t)
	e := livetest.Start(t, app.LiveOptions{})
	e.Event("rival_a", 500)
	within(t, ctx, 20*time.Second, "open and register",
		chromedp.Navigate(e.Base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login"), "winner_1"),
		chromedp.SendKeys(chromedp.ID("password"), "secret-pass-1"),
		chromedp.Click(chromedp.ID("btn-register")),
		chromedp.WaitVisible(chromedp.ID("live-view")),
	)
	e.Event("winner_1", 300)
	waitText(t, ctx, "my-pos", `s === "2"`)
	waitText(t, ctx, "my-prize", `s === "prize at this place: 2000 EUR"`)
	waitText(t, ctx, "rewards-empty", `s === "No rewards yet."`)

	hs, err := e.App.Snapshotter.FinalizeWindow(context.Background(), livetest.ContestID, e.Window.Unix())
	if err != nil || len(hs) != 1 {
		t.Fatalf("finalize: %v %v", hs, err)
	}
	within(t, ctx, 30*time.Second, "claim",
		chromedp.WaitVisible(`#rewards-list li[data-status="pending"] button.claim`),
		chromedp.Click(`#rewards-list li[data-status="pending"] button.claim`),
		chromedp.WaitVisible(`#rewards-list li[data-status="granted"]`),
	)
	rs, err := e.App.Rewards.Store.UserRewards(context.Background(), "winner_1")
	if err != nil || len(rs) != 1 || rs[0].Status != "granted" || rs[0].AmountMinor != 2000 {
		t.Fatalf("stored rewards %+v %v", rs, err)
	}
}
