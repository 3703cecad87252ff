package admin_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/snapshotter"
)

func call(t *testing.T, a *app.App, method, path, token, body string) (int, map[string]any, []any) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+a.Addr()+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	var arr []any
	if json.Unmarshal(raw, &obj) != nil {
		_ = json.Unmarshal(raw, &arr)
	}
	return resp.StatusCode, obj, arr
}

func contestYAML(title string, start, end time.Time) string {
	return fmt.Sprintf("id: adm\ntitle: %s\nwindow: {start: %s, end: %s}\nlateness: 1h\nscoring: {model: wager}\nleaderboard: {type: sum}\n",
		title, start.Format(time.RFC3339), end.Format(time.RFC3339))
}

func TestAdminAPI(t *testing.T) {
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Truncate(time.Second), now.Add(time.Hour).Truncate(time.Second)
	file, err := contest.Parse("adm.yml", []byte(contestYAML("From file", start, end)))
	if err != nil {
		t.Fatal(err)
	}
	env := apptest.NewEnv(t)
	a := apptest.Start(t, env, []*contest.Contest{file})
	if a.Rules.Get("adm").Version != 1 {
		t.Fatalf("file seeds version 1, got %d", a.Rules.Get("adm").Version)
	}

	adminVersions(t, a, start, end)
	bid := contest.BoardID{Contest: "adm", Window: start.Unix()}
	adminFreezeAndFinalize(t, a, bid, now)

	// A restart on the same state: the API version overrides the file, the
	// close stays in force.
	a.Stop()
	b := apptest.Start(t, env, []*contest.Contest{file})
	if c := b.Rules.Get("adm"); c.Version != 2 || c.Title != "From API" {
		t.Fatalf("after restart: %+v", c)
	}
	if _, closed := b.Rules.ClosedAt("adm", start.Unix()); !closed || b.Rules.Frozen("adm") {
		t.Fatalf("after restart: closed %v frozen %v", closed, b.Rules.Frozen("adm"))
	}
	apptest.Settle(t, b)
	rows := b.Ranker.Board(bid)
	if len(rows) != 1 || rows[0].Standing.Score != 15 {
		t.Fatalf("after restart the board is %+v", rows)
	}
}

// adminVersions: the admin API refuses a missing or wrong token, refuses
// an invalid contest or an id mismatch, puts version 2 (JSON) in force,
// answers the same body again with 200, and lists and shows the versions.
func adminVersions(t *testing.T, a *app.App, start, end time.Time) {
	t.Helper()
	tok := apptest.AdminToken
	for _, tk := range []string{"", "wrong"} {
		if code, _, _ := call(t, a, "GET", "/v1/admin/contests/adm/versions", tk, ""); code != 401 {
			t.Fatalf("token %q: %d", tk, code)
		}
		if code, _, _ := call(t, a, "POST", "/v1/admin/contests/adm/freeze", tk, ""); code != 401 {
			t.Fatalf("freeze with token %q: %d", tk, code)
		}
	}
	code, obj, _ := call(t, a, "PUT", "/v1/admin/contests/adm", tok, "id: adm\ntitle: x\nscoring: {model: nope}\n")
	if code != 400 || !strings.Contains(fmt.Sprint(obj["errors"]), "adm.yml:3") {
		t.Fatalf("invalid PUT: %d %v", code, obj)
	}
	if code, _, _ := call(t, a, "PUT", "/v1/admin/contests/other", tok, contestYAML("T", start, end)); code != 400 {
		t.Fatalf("id mismatch: %d", code)
	}
	// JSON bodies are accepted too.
	jsonBody := fmt.Sprintf(`{"id":"adm","title":"From API","window":{"start":%q,"end":%q},"lateness":"1h","scoring":{"model":"wager"},"leaderboard":{"type":"sum"}}`,
		start.Format(time.RFC3339), end.Format(time.RFC3339))
	code, obj, _ = call(t, a, "PUT", "/v1/admin/contests/adm", tok, jsonBody)
	if code != 201 || obj["version"] != float64(2) {
		t.Fatalf("PUT: %d %v", code, obj)
	}
	if c := a.Rules.Get("adm"); c.Version != 2 || c.Title != "From API" {
		t.Fatalf("in force: %+v", c)
	}
	if code, obj, _ = call(t, a, "PUT", "/v1/admin/contests/adm", tok, jsonBody); code != 200 || obj["version"] != float64(2) {
		t.Fatalf("same body again: %d %v", code, obj)
	}
	code, _, arr := call(t, a, "GET", "/v1/admin/contests/adm/versions", tok, "")
	if code != 200 || len(arr) != 2 || arr[1].(map[string]any)["live"] != true || arr[0].(map[string]any)["source"] != "file" {
		t.Fatalf("versions: %d %v", code, arr)
	}
	code, obj, _ = call(t, a, "GET", "/v1/admin/contests/adm/versions/1", tok, "")
	if code != 200 || !strings.Contains(obj["body"].(string), "From file") {
		t.Fatalf("version 1: %d %v", code, obj)
	}
	if code, _, _ = call(t, a, "GET", "/v1/admin/contests/adm/versions/9", tok, ""); code != 404 {
		t.Fatalf("version 9: %d", code)
	}
}

// adminFreezeAndFinalize: a frozen contest records but does not count,
// thawed it counts again, finalized it takes a final snapshot (version 2)
// and counts nothing more.
func adminFreezeAndFinalize(t *testing.T, a *app.App, bid contest.BoardID, now time.Time) {
	t.Helper()
	tok := apptest.AdminToken
	var (
		code int
		obj  map[string]any
	)
	score := func(user string) int64 {
		for _, r := range a.Ranker.Board(bid) {
			if r.User == user {
				return r.Standing.Score
			}
		}
		return -1
	}
	send := func(id, user string, bet int64) {
		apptest.Publish(t, a, "acme", user, id, apptest.Event(id, user, "acme", now, bet, 0, "DE"))
		apptest.Settle(t, a)
	}
	send("e1", "alice", 10)
	if code, obj, _ = call(t, a, "POST", "/v1/admin/contests/adm/freeze", tok, ""); code != 200 || obj["frozen"] != true {
		t.Fatalf("freeze: %d %v", code, obj)
	}
	send("e2", "alice", 100) // recorded, not counted
	if s := score("alice"); s != 10 {
		t.Fatalf("frozen: alice has %d, want 10", s)
	}
	if code, _, _ = call(t, a, "POST", "/v1/admin/contests/adm/unfreeze", tok, ""); code != 200 {
		t.Fatalf("unfreeze: %d", code)
	}
	send("e3", "alice", 5)
	if s := score("alice"); s != 15 {
		t.Fatalf("thawed: alice has %d, want 15", s)
	}
	code, obj, _ = call(t, a, "POST", "/v1/admin/contests/adm/finalize", tok, "")
	snaps, _ := obj["snapshots"].([]any)
	if code != 200 || len(snaps) != 1 || snaps[0].(map[string]any)["entries"] != float64(1) {
		t.Fatalf("finalize: %d %v", code, obj)
	}
	send("e4", "bob", 50) // after the close: no longer counts
	if s := score("bob"); s != -1 {
		t.Fatalf("after finalize: bob has %d", s)
	}
	fin, err := snapshotter.NewStore(a.DB).FinalSnapshot(t.Context(), bid)
	if err != nil || len(fin.Rows) != 1 || fin.Rows[0].Standing.Score != 15 || fin.RuleVersion != 2 {
		t.Fatalf("final snapshot: %+v %v", fin, err)
	}
}
