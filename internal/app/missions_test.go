package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
)

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// TestMissionAPI: missions from missions_dir, listed by market, and the
// progress the scorer publishes served by GET /v1/missions/{id}/progress.
func TestMissionAPI(t *testing.T) {
	now := time.Now().UTC()
	start := now.Add(-time.Hour).Truncate(time.Second)
	dir := t.TempDir()
	src := fmt.Sprintf(`id: m_api
title: API quest
window: {start: %s, end: %s}
scope: {markets: [DE]}
steps:
  - {id: s1, goal: {type: spin_count, count: 2}, reward: {kind: freespins, amount: 10, game: g_66}}
  - {id: s2, goal: {type: wager_total, amount_minor: 500}}
`, start.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(dir, "m_api.yml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	a := apptest.Start(t, apptest.NewEnv(t), nil, func(o *app.Options) { o.MissionsDir = dir })
	base := "http://" + a.Addr()

	var list []map[string]any
	if code := getJSON(t, base+"/v1/missions?market=DE", &list); code != 200 || len(list) != 1 || list[0]["id"] != "m_api" ||
		list[0]["status"] != "live" || list[0]["window"].(map[string]any)["start"] != start.Format(time.RFC3339) {
		t.Fatalf("missions for DE: %d %v", code, list)
	}
	if code := getJSON(t, base+"/v1/missions?market=FI", &list); code != 200 || len(list) != 0 {
		t.Fatalf("missions for FI: %d %v", code, list)
	}

	type step struct {
		ID       string `json:"id"`
		Done     bool   `json:"done"`
		Progress int64  `json:"progress"`
		Target   int64  `json:"target"`
	}
	type progress struct {
		Mission     string `json:"mission"`
		Window      string `json:"window"`
		Steps       []step `json:"steps"`
		RewardReady bool   `json:"reward_ready"`
	}
	url := base + "/v1/missions/m_api/progress?user=u_1"
	var p progress
	want := progress{Mission: "m_api", Window: start.Format(time.RFC3339), Steps: []step{{"s1", false, 0, 2}, {"s2", false, 0, 500}}}
	if code := getJSON(t, url, &p); code != 200 || !reflect.DeepEqual(p, want) {
		t.Fatalf("progress before any event: %d %+v", code, p)
	}
	for i, bet := range []int64{100, 150, 200} {
		apptest.Publish(t, a, "acme", "u_1", fmt.Sprint("e", i), apptest.Event(fmt.Sprint("e", i), "u_1", "acme", now.Add(-time.Minute), bet, 0, "DE"))
	}
	apptest.Publish(t, a, "acme", "u_1", "e9", apptest.Event("e9", "u_1", "acme", now.Add(-time.Minute), 999, 0, "FI")) // out of scope
	apptest.Settle(t, a)
	want = progress{Mission: "m_api", Window: want.Window, Steps: []step{{"s1", true, 2, 2}, {"s2", false, 200, 500}}, RewardReady: true}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p = progress{}
		code := getJSON(t, url+"&window="+start.Format(time.RFC3339), &p)
		if code == 200 && reflect.DeepEqual(p, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress after the events: %d %+v, want %+v", code, p, want)
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, c := range []struct {
		url  string
		code int
	}{
		{"/v1/missions/nope/progress?user=u_1", 404},
		{"/v1/missions/m_api/progress", 400},
		{"/v1/missions/m_api/progress?user=bad%20user", 400},
		{"/v1/missions/m_api/progress?user=u_1&window=yesterday", 400},
		{"/v1/missions/m_api/progress?user=u_1&window=2020-01-01T00:00:00Z", 400},
	} {
		var e map[string]any
		if code := getJSON(t, base+c.url, &e); code != c.code || e["error"] == "" {
			t.Errorf("%s: %d %v, want %d with an error", c.url, code, e, c.code)
		}
	}
}
