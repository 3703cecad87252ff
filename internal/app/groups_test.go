package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/testkit"
)

const groupsTTL = 2 * time.Second

// groupsContest is a sum-of-wagers contest with a board per market.
func groupsContest(t *testing.T, id string) *contest.Contest {
	t.Helper()
	now := time.Now().UTC()
	c, err := contest.Parse(id+".yml", []byte(fmt.Sprintf(`id: %s
title: board groups
window: {start: %s, end: %s}
lateness: 90s
scope: {providers: [acme]}
scoring: {model: wager}
leaderboard: {type: sum, divisions: market}
`, id, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// oracle is the expected board per market: Σ bet per user, ordered by score
// desc, then user id.
type oracle map[string]map[string]int64

func (o oracle) add(market, user string, bet int64) {
	if o[market] == nil {
		o[market] = map[string]int64{}
	}
	o[market][user] += bet
}

func (o oracle) rows(market string) []string {
	var rows []string
	for u, s := range o[market] {
		rows = append(rows, fmt.Sprintf("%s=%d", u, s))
	}
	sort.Slice(rows, func(i, j int) bool {
		ui, si, _ := strings.Cut(rows[i], "=")
		uj, sj, _ := strings.Cut(rows[j], "=")
		var a, b int64
		fmt.Sscan(si, &a)
		fmt.Sscan(sj, &b)
		if a != b {
			return a > b
		}
		return ui < uj
	})
	return rows
}

// apiRows is a division's board as /v1/leaderboards shows it.
func apiRows(t *testing.T, base, contestID, market string) ([]string, string, error) {
	var body struct {
		Status string `json:"status"`
		Top    []struct {
			Pos   int    `json:"pos"`
			User  string `json:"user"`
			Score int64  `json:"score"`
		} `json:"top"`
	}
	code := getJSON(t, base+"/v1/leaderboards/"+contestID+"?top=1000&division="+market, &body)
	if code != http.StatusOK {
		return nil, "", fmt.Errorf("division %s: HTTP %d", market, code)
	}
	rows := make([]string, len(body.Top))
	for i, r := range body.Top {
		if r.Pos != i+1 {
			return nil, "", fmt.Errorf("division %s: position %d at index %d", market, r.Pos, i)
		}
		rows[i] = fmt.Sprintf("%s=%d", r.User, r.Score)
	}
	return rows, body.Status, nil
}

// waitExact waits until every division's board in the API equals the oracle.
func waitExact(t *testing.T, base, contestID string, o oracle, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var bad error
		for m := range o {
			got, _, err := apiRows(t, base, contestID, m)
			if err == nil && !slices.Equal(got, o.rows(m)) {
				err = fmt.Errorf("division %s: got %v, want %v", m, got, o.rows(m))
			}
			if err != nil {
				bad = err
				break
			}
		}
		if bad == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("API not exact after %s: %v", d, bad)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publishRound sends n events over markets and records them in o.
func publishRound(t *testing.T, a *app.App, o oracle, round, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(round), 7))
	ts := time.Now().Add(-time.Minute)
	for i := range n {
		user := fmt.Sprintf("u%02d", r.IntN(30))
		market := fmt.Sprintf("M%d", r.IntN(8))
		bet := int64(1 + r.IntN(500))
		id := fmt.Sprintf("r%d-e%d", round, i)
		apptest.Publish(t, a, "acme", user, id, apptest.Event(id, user, "acme", ts, bet, 0, market))
		o.add(market, user, bet)
	}
}

// startPeer starts a process on a's NATS server, Postgres and Redis prefix.
func startPeer(t *testing.T, env apptest.Env, a *app.App, cs []*contest.Contest, mutate func(*app.Options)) *app.App {
	t.Helper()
	return apptest.Start(t, env, cs, func(o *app.Options) {
		o.Streams.URL, o.Streams.Port = a.Streams.URL(), 0
		mutate(o)
	})
}

func shared(instance string) func(*app.Options) {
	return func(o *app.Options) { o.Instance, o.BoardGroups, o.LeaseTTL = instance, 4, groupsTTL }
}

// disjoint fails unless the two processes own disjoint sets of boards that
// together are all boards, and each holds the boards of its own groups only
// (its SCORES consumer filters on them).
func disjoint(a, b *app.App, boards int) error {
	ga, gb := a.Groups.HeldGroups(), b.Groups.HeldGroups()
	if len(ga) == 0 || len(gb) == 0 || len(ga)+len(gb) != 4 {
		return fmt.Errorf("groups held: %v and %v", ga, gb)
	}
	for _, k := range ga {
		if slices.Contains(gb, k) {
			return fmt.Errorf("group %d held by both: %v and %v", k, ga, gb)
		}
	}
	for _, p := range []struct {
		name string
		a    *app.App
		held []int
	}{{"pa", a, ga}, {"pb", b, gb}} {
		for _, id := range p.a.Ranker.BoardIDs() {
			if k := aggregator.GroupOf(id, 4); !slices.Contains(p.held, k) {
				return fmt.Errorf("%s keeps board %s of group %d, not one of its groups %v", p.name, id, k, p.held)
			}
		}
	}
	oa, ob := a.Ranker.OwnedBoardIDs(), b.Ranker.OwnedBoardIDs()
	for _, id := range oa {
		if slices.Contains(ob, id) {
			return fmt.Errorf("board %s owned by both", id)
		}
	}
	if len(oa)+len(ob) != boards {
		return fmt.Errorf("boards owned %d + %d of %d", len(oa), len(ob), boards)
	}
	return nil
}

// published is the standings a process's scorer published (its registry).
func published(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "rankstream_scores_published_total" {
			return uint64(mf.GetMetric()[0].GetCounter().GetValue())
		}
	}
	t.Fatal("no rankstream_scores_published_total")
	return 0
}

// TestBoardGroupsTwoProcessesFailOver: two processes share the board groups;
// each reads from SCORES and applies only its own groups' standings (the two
// together apply each standing published once, not twice) and writes only
// its groups' boards; the second is cut off without giving its leases back;
// its groups move to the first within the lease TTL (plus the lease rounds
// and the re-read of SCORES for them), and the API stays exact throughout.
func TestBoardGroupsTwoProcessesFailOver(t *testing.T) {
	env := apptest.NewEnv(t)
	cs := []*contest.Contest{groupsContest(t, "t_groups")}
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	a := apptest.Start(t, env, cs, shared("pa"), func(o *app.Options) { o.Registry = regA })
	b := startPeer(t, env, a, cs, func(o *app.Options) { shared("pb")(o); o.Registry = regB })
	base := "http://" + a.Addr()
	o := oracle{}
	publishRound(t, a, o, 1, 400)
	waitExact(t, base, "t_groups", o, 30*time.Second)
	testkit.Eventually(t, 20*time.Second, func() error { return disjoint(a, b, len(o)) })
	t.Logf("groups: pa %v, pb %v", a.Groups.HeldGroups(), b.Groups.HeldGroups())

	// Settled: every standing published from now on is applied once, by the
	// process holding its board's group.
	pub0 := published(t, regA) + published(t, regB)
	app0 := a.Ranker.AppliedScores() + b.Ranker.AppliedScores()
	appA0, appB0 := a.Ranker.AppliedScores(), b.Ranker.AppliedScores()
	publishRound(t, a, o, 3, 300)
	waitExact(t, base, "t_groups", o, 30*time.Second)
	testkit.Eventually(t, 10*time.Second, func() error {
		pub, applied := published(t, regA)+published(t, regB)-pub0, a.Ranker.AppliedScores()+b.Ranker.AppliedScores()-app0
		if pub == 0 || applied != pub {
			return fmt.Errorf("standings published %d, applied by the two rankers %d", pub, applied)
		}
		return nil
	})
	if f := a.Ranker.ForeignScores() + b.Ranker.ForeignScores(); f != 0 {
		t.Fatalf("%d standings of another process's groups were delivered", f)
	}
	if da, db := a.Ranker.AppliedScores()-appA0, b.Ranker.AppliedScores()-appB0; da == 0 || db == 0 {
		t.Fatalf("applied pa %d, pb %d: one process applied nothing", da, db)
	} else {
		t.Logf("round of 300 events: pa applied %d standings, pb %d (sum = published)", da, db)
	}
	if err := disjoint(a, b, len(o)); err != nil {
		t.Fatal(err)
	}

	// Cut b off: its connection closes first, so nothing is given back.
	b.Streams.NC.Close()
	killed := time.Now()
	b.Stop()
	publishRound(t, a, o, 2, 300)
	for len(a.Groups.HeldGroups()) != 4 {
		if time.Since(killed) > 2*groupsTTL+3*time.Second {
			t.Fatalf("groups of the dead process not taken over after %s: %v", time.Since(killed), a.Groups.HeldGroups())
		}
		time.Sleep(20 * time.Millisecond)
	}
	held := time.Since(killed)
	// Then pa reads the groups' standings from SCORES before writing them.
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := len(a.Ranker.OwnedBoardIDs()); n != len(o) {
			return fmt.Errorf("boards written by pa %d of %d", n, len(o))
		}
		return nil
	})
	t.Logf("every group held by pa %s after pb was cut off (lease TTL %s), its boards loaded after %s",
		held.Round(time.Millisecond), groupsTTL, time.Since(killed).Round(time.Millisecond))
	waitExact(t, base, "t_groups", o, 30*time.Second)
}

// TestFinalizeShowsFinalEverywhere: a finalize through one process's admin
// API shows `final` in the other process's /v1/leaderboards at once.
func TestFinalizeShowsFinalEverywhere(t *testing.T) {
	env := apptest.NewEnv(t)
	cs := []*contest.Contest{groupsContest(t, "t_final")}
	a := apptest.Start(t, env, cs, shared("fa"))
	b := startPeer(t, env, a, cs, func(o *app.Options) { o.Only = []string{app.StageAPI} })
	o := oracle{}
	publishRound(t, a, o, 1, 50)
	waitExact(t, "http://"+b.Addr(), "t_final", o, 30*time.Second)
	m := "M0"
	for k := range o {
		m = k
		break
	}
	if _, st, err := apiRows(t, "http://"+b.Addr(), "t_final", m); err != nil || st != contest.StatusLive {
		t.Fatalf("before finalize: status %q, %v", st, err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+a.Addr()+"/v1/admin/contests/t_final/finalize", nil)
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("finalize: HTTP %d", resp.StatusCode)
	}
	answered := time.Now()
	for {
		_, st, err := apiRows(t, "http://"+b.Addr(), "t_final", m)
		if err == nil && st == contest.StatusFinal {
			break
		}
		// The note travels on NATS; the poll fallback alone would take 2s.
		if time.Since(answered) > time.Second {
			t.Fatalf("other process still shows %q (%v) %s after the finalize answered", st, err, time.Since(answered))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("final in the other process %s after the finalize answered", time.Since(answered).Round(time.Millisecond))
}
