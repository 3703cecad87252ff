package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/livetest"
)

// liveMission is a mission of the test window: two counted events pay a
// bonus the player must claim.
func liveMission(t *testing.T, now time.Time) *contest.Mission {
	t.Helper()
	yml := fmt.Sprintf(`id: m_live
title: Live quest
window: {start: %s, end: %s}
scope: {providers: [acme]}
steps:
  - id: s1
    goal: {type: spin_count, count: 2}
    reward: {kind: bonus, amount_minor: 100, currency: EUR}
claim_window: 72h
`, now.Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339), now.Add(time.Hour).Truncate(time.Second).Format(time.RFC3339))
	m, err := contest.ParseMission("m_live.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// poll waits until the JavaScript condition holds.
func poll(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	within(t, ctx, 30*time.Second, what,
		chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond)))
}

// The page shows the player's notices as they come (entered_top,
// entered_prize_zone with the prize, left_prize_zone when rivals push the
// player out), marks the prize zone in the top list, and draws the
// mission's progress bar, whose reward shows as claimable, then claimed.
func TestLivePageNoticesZoneMission(t *testing.T) {
	ctx := browser(t)
	e := livetest.StartWith(t, app.LiveOptions{}, func(now time.Time, o *app.Options) {
		o.Missions = []*contest.Mission{liveMission(t, now)}
	})
	e.Event("rival_a", 500)
	within(t, ctx, 20*time.Second, "open and register",
		chromedp.Navigate(e.Base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login"), "zoner_1"),
		chromedp.SendKeys(chromedp.ID("password"), "secret-pass-1"),
		chromedp.Click(chromedp.ID("btn-register")),
		chromedp.WaitVisible(chromedp.ID("live-view")),
	)
	poll(t, ctx, "subscribed", `document.body.dataset.ws === "open" && document.querySelectorAll("#top-list li").length === 1`)

	// Second place: in the top 10 (and 50, 100) and in the prize zone.
	e.Event("zoner_1", 300)
	waitText(t, ctx, "my-pos", `s === "2"`)
	poll(t, ctx, "entered_top notice", `!!document.querySelector('#notices li[data-kind="entered_top"][data-top="10"]')`)
	poll(t, ctx, "entered_prize_zone notice",
		`(() => { const li = document.querySelector('#notices li[data-kind="entered_prize_zone"]'); return !!li && li.textContent.includes("2000 EUR"); })()`)
	poll(t, ctx, "prize zone in the top list", `document.querySelectorAll("#top-list li.zone").length === 2`)

	// Mission: one of two events so far.
	step := `document.querySelector('.mission[data-mission="m_live"] .step[data-step="s1"]')`
	poll(t, ctx, "mission bar at 1/2", `(() => { const s = `+step+`; return !!s && s.querySelector("progress").value === 1 && s.dataset.done === "false"; })()`)

	// Three rivals pass: fifth place, out of the zone (places 1-3 pay).
	e.Event("rival_b", 400)
	e.Event("rival_c", 350)
	e.Event("rival_d", 320)
	waitText(t, ctx, "my-pos", `s === "5"`)
	poll(t, ctx, "left_prize_zone notice", `!!document.querySelector('#notices li[data-kind="left_prize_zone"]')`)
	poll(t, ctx, "zone rows", `document.querySelectorAll("#top-list li.zone").length === 3 && !document.querySelector("#top-list li.me.zone")`)

	// The second event completes the step: its reward is claimable, then
	// claimed once the button is pressed.
	e.Event("zoner_1", 10)
	poll(t, ctx, "mission step done and claimable",
		`(() => { const s = `+step+`; return !!s && s.dataset.done === "true" && s.dataset.claim === "claimable"; })()`)
	poll(t, ctx, "reward ready", `document.querySelector('.mission[data-mission="m_live"]').dataset.ready === "true"`)
	within(t, ctx, 30*time.Second, "claim the mission reward",
		chromedp.Click(`#rewards-list li[data-status="pending"] button.claim`),
		chromedp.WaitVisible(`#rewards-list li[data-status="granted"]`),
	)
	poll(t, ctx, "mission reward claimed",
		`(() => { const s = `+step+`; return !!s && s.dataset.claim === "claimed" && document.querySelector('.mission[data-mission="m_live"]').dataset.ready === "false"; })()`)
}
