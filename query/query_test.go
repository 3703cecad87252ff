package query

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rankstream/rankstream/contest"
)

var now = ts("2025-10-25T18:30:00Z")

func TestContests(t *testing.T) {
	sprint := fixed("sprint", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	sprint.Scope = contest.Scope{Markets: []string{"DE", "SE"}, Brands: []string{"X"}}
	nordic := fixed("nordic", "2025-10-26T18:00:00Z", "2025-10-26T19:00:00Z")
	nordic.Scope = contest.Scope{Markets: []string{"S*", "FI"}}
	closing := fixed("closing", "2025-10-25T17:00:00Z", "2025-10-25T18:29:00Z")
	over := fixed("over", "2025-10-24T17:00:00Z", "2025-10-24T18:00:00Z")
	frozen := fixed("frozen", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	frozen.Scope.Brands = []string{"Y"}
	f := newFixture(t, now, sprint, nordic, daily("daily"), closing, over, frozen)
	f.frozen["frozen"] = true

	var all []map[string]any
	if code := f.get("/v1/contests", nil, &all); code != http.StatusOK {
		t.Fatalf("code %d", code)
	}
	want := []map[string]any{
		{"id": "closing", "title": "Contest closing", "version": 1.0, "status": "closing",
			"window": map[string]any{"start": "2025-10-25T17:00:00Z", "end": "2025-10-25T18:29:00Z"}},
		{"id": "daily", "title": "Daily daily", "version": 3.0, "status": "live",
			"window": map[string]any{"start": "2025-10-25T00:00:00Z", "end": "2025-10-26T00:00:00Z"}},
		{"id": "frozen", "title": "Contest frozen", "version": 1.0, "status": "frozen",
			"window": map[string]any{"start": "2025-10-25T18:00:00Z", "end": "2025-10-25T19:00:00Z"}},
		{"id": "nordic", "title": "Contest nordic", "version": 1.0, "status": "scheduled",
			"window": map[string]any{"start": "2025-10-26T18:00:00Z", "end": "2025-10-26T19:00:00Z"}},
		{"id": "over", "title": "Contest over", "version": 1.0, "status": "final",
			"window": map[string]any{"start": "2025-10-24T17:00:00Z", "end": "2025-10-24T18:00:00Z"}},
		{"id": "sprint", "title": "Contest sprint", "version": 1.0, "status": "live",
			"window": map[string]any{"start": "2025-10-25T18:00:00Z", "end": "2025-10-25T19:00:00Z"}},
	}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("contests\n got %v\nwant %v", all, want)
	}

	ids := func(market, brand string) []string {
		t.Helper()
		var got []struct{ ID string }
		q := vals()
		if market != "" {
			q.Set("market", market)
		}
		if brand != "" {
			q.Set("brand", brand)
		}
		if code := f.get("/v1/contests", q, &got); code != http.StatusOK {
			t.Fatalf("code %d", code)
		}
		out := []string{}
		for _, c := range got {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		market, brand string
		want          []string
	}{
		{"DE", "", []string{"closing", "daily", "frozen", "over", "sprint"}},
		{"SE", "", []string{"closing", "daily", "frozen", "nordic", "over", "sprint"}}, // S* glob
		{"FI", "", []string{"closing", "daily", "frozen", "nordic", "over"}},
		{"SE", "X", []string{"closing", "daily", "nordic", "over", "sprint"}},
		{"", "Y", []string{"closing", "daily", "frozen", "nordic", "over"}},
		{"NO", "Z", []string{"closing", "daily", "over"}},
	} {
		if got := ids(tc.market, tc.brand); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("market=%s brand=%s: %v, want %v", tc.market, tc.brand, got, tc.want)
		}
	}

	// No contests: an empty array, not null.
	f.contests = nil
	var raw json.RawMessage
	f.get("/v1/contests", nil, &raw)
	if string(raw) != "[]" {
		t.Errorf("no contests: %s", raw)
	}
}

// sprintBoard is a board of 250 users: u000 has 2500 points, u001 2490, …
// except that u011 is level with u010.
func sprintBoard(t *testing.T) (*fixture, *contest.Contest, []row) {
	sprint := fixed("sprint", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	f := newFixture(t, now, sprint)
	var es []entry
	var want []row
	for i := range 250 {
		s := int64(2500 - 10*i)
		if i == 11 {
			s += 10
		}
		es = append(es, entry{user: fmt.Sprintf("u%03d", i), score: s})
		want = append(want, row{Pos: i + 1, User: fmt.Sprintf("u%03d", i), Score: s})
	}
	f.fill(sprint, sprint.Window.Start, "", es...)
	return f, sprint, want
}

func TestLeaderboardBodyShape(t *testing.T) {
	f, _, _ := sprintBoard(t)
	var body map[string]json.RawMessage
	if code := f.get("/v1/leaderboards/sprint", vals("top", "2", "me", "u005", "around", "1"), &body); code != http.StatusOK {
		t.Fatalf("code %d", code)
	}
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"around", "contest", "me", "next_cursor", "status", "top", "total", "updated_at", "window"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	var b board
	f.get("/v1/leaderboards/sprint", vals("top", "2", "me", "u005", "around", "1"), &b)
	wantB := board{Contest: "sprint", Window: "2025-10-25T18:00:00Z", Status: "live", Total: 250,
		Top:    []row{{1, "u000", 2500}, {2, "u001", 2490}},
		Me:     &me{Pos: 6, Score: 2450, GapToNext: ptr(int64(10))},
		Around: []row{{5, "u004", 2460}, {6, "u005", 2450}, {7, "u006", 2440}},
	}
	if b.UpdatedAt == nil {
		t.Fatal("updated_at is null for a written board")
	}
	if at, err := time.Parse(time.RFC3339Nano, *b.UpdatedAt); err != nil || !at.Equal(now.Add(-time.Second)) {
		t.Errorf("updated_at %q: %v", *b.UpdatedAt, err)
	}
	if b.NextCursor == nil {
		t.Fatal("next_cursor is null with 248 more rows")
	}
	b.UpdatedAt, b.NextCursor = nil, nil
	if !reflect.DeepEqual(b, wantB) {
		t.Errorf("\n got %+v\nwant %+v", b, wantB)
	}
}

func ptr[T any](v T) *T { return &v }

func TestLeaderboardTop(t *testing.T) {
	f, _, want := sprintBoard(t)
	var b board
	f.get("/v1/leaderboards/sprint", nil, &b)
	if len(b.Top) != DefaultTop || !reflect.DeepEqual(b.Top, want[:DefaultTop]) {
		t.Fatalf("default top: %d rows", len(b.Top))
	}
	if b.Me != nil || len(b.Around) != 0 || b.Around == nil {
		t.Errorf("me %v around %v without me", b.Me, b.Around)
	}
	f.get("/v1/leaderboards/sprint", vals("top", "1000"), &b)
	if len(b.Top) != 250 || b.NextCursor != nil || !reflect.DeepEqual(b.Top, want) {
		t.Errorf("top=1000: %d rows, next %v", len(b.Top), b.NextCursor)
	}
	f.get("/v1/leaderboards/sprint", vals("top", "0"), &b)
	if b.Top == nil || len(b.Top) != 0 || b.NextCursor != nil || b.Total != 250 {
		t.Errorf("top=0: %+v", b)
	}
	for _, bad := range []string{"1001", "-1", "ten", "1.5", "1e3"} {
		var e apiError
		if code := f.get("/v1/leaderboards/sprint", vals("top", bad), &e); code != http.StatusBadRequest || !strings.Contains(e.Error, "top") {
			t.Errorf("top=%s: %d %q", bad, code, e.Error)
		}
	}
}

func TestLeaderboardCursor(t *testing.T) {
	f, _, want := sprintBoard(t)
	var got []row
	var sizes []int
	q := vals("top", "100")
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("cursor does not end")
		}
		var b board
		if code := f.get("/v1/leaderboards/sprint", q, &b); code != http.StatusOK {
			t.Fatalf("page %d: code %d", page, code)
		}
		got = append(got, b.Top...)
		sizes = append(sizes, len(b.Top))
		if b.NextCursor == nil {
			break
		}
		if *b.NextCursor == "" {
			t.Fatal("empty next_cursor")
		}
		q.Set("cursor", *b.NextCursor)
	}
	if !reflect.DeepEqual(sizes, []int{100, 100, 50}) || !reflect.DeepEqual(got, want) {
		t.Fatalf("pages %v; rows equal: %v", sizes, reflect.DeepEqual(got, want))
	}
	// A cursor past the end: an empty page, no next cursor.
	var b board
	f.get("/v1/leaderboards/sprint", vals("cursor", EncodeCursor(400)), &b)
	if len(b.Top) != 0 || b.NextCursor != nil || b.Total != 250 {
		t.Errorf("past the end: %+v", b)
	}
	// Not base64; a negative offset; "x"; "010" (not canonical).
	for _, bad := range []string{"!!", EncodeCursor(-5), "eA", "MDEw"} {
		var e apiError
		if code := f.get("/v1/leaderboards/sprint", vals("cursor", bad), &e); code != http.StatusBadRequest || e.Error != "invalid cursor" {
			t.Errorf("cursor %q: %d %q", bad, code, e.Error)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 100, 123456} {
		got, err := DecodeCursor(EncodeCursor(n))
		if err != nil || got != n {
			t.Errorf("DecodeCursor(EncodeCursor(%d)) = %d, %v", n, got, err)
		}
	}
}

func TestLeaderboardMe(t *testing.T) {
	f, _, _ := sprintBoard(t)
	for _, tc := range []struct {
		user string
		want *me
	}{
		{"u000", &me{Pos: 1, Score: 2500}},                                     // gap null at position 1
		{"u001", &me{Pos: 2, Score: 2490, GapToNext: ptr(int64(10))}},          // 10 behind
		{"u011", &me{Pos: 12, Score: 2400, GapToNext: ptr(int64(0))}},          // level with u010
		{"u249", &me{Pos: 250, Score: 2500 - 2490, GapToNext: ptr(int64(10))}}, // last
		{"nobody", nil},
	} {
		var raw map[string]json.RawMessage
		if code := f.get("/v1/leaderboards/sprint", vals("me", tc.user, "top", "1"), &raw); code != http.StatusOK {
			t.Fatalf("%s: code %d", tc.user, code)
		}
		var got *me
		if err := json.Unmarshal(raw["me"], &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("me=%s: %s, want %+v", tc.user, raw["me"], tc.want)
		}
		if tc.want != nil && tc.want.Pos == 1 && !strings.Contains(string(raw["me"]), `"gap_to_next":null`) {
			t.Errorf("gap_to_next at position 1: %s", raw["me"])
		}
		if tc.want == nil && string(raw["me"]) != "null" {
			t.Errorf("me of a user not on the board: %s", raw["me"])
		}
	}
	var e apiError
	if code := f.get("/v1/leaderboards/sprint", vals("me", "bad user!"), &e); code != http.StatusBadRequest {
		t.Errorf("invalid me: %d", code)
	}
}

func TestLeaderboardAround(t *testing.T) {
	f, _, want := sprintBoard(t)
	for _, tc := range []struct {
		user     string
		k        string
		from, to int // 1-based positions, inclusive; 0 = none
	}{
		{"u010", "3", 8, 14},
		{"u000", "5", 1, 6},     // clipped at the top
		{"u001", "5", 1, 7},     // partly clipped
		{"u249", "2", 248, 250}, // clipped at the bottom
		{"u100", "0", 0, 0},     // around=0: none
		{"nobody", "5", 0, 0},   // me not on the board: none
		{"", "5", 0, 0},         // around without me: ignored
		{"u100", "500", 1, 250}, // larger than the board
	} {
		q := vals("around", tc.k, "top", "0")
		if tc.user != "" {
			q.Set("me", tc.user)
		}
		var b board
		if code := f.get("/v1/leaderboards/sprint", q, &b); code != http.StatusOK {
			t.Fatalf("%+v: code %d", tc, code)
		}
		wantRows := []row{}
		if tc.from > 0 {
			wantRows = want[tc.from-1 : tc.to]
		}
		if b.Around == nil || !reflect.DeepEqual(b.Around, wantRows) {
			t.Errorf("me=%s around=%s: %d rows %v…, want positions %d..%d", tc.user, tc.k, len(b.Around), first(b.Around), tc.from, tc.to)
		}
		if tc.from > 0 && !slices.ContainsFunc(b.Around, func(r row) bool { return r.User == tc.user }) {
			t.Errorf("around does not include the user %s", tc.user)
		}
	}
	for _, bad := range []string{"-1", "x", "501"} {
		if code := f.get("/v1/leaderboards/sprint", vals("me", "u001", "around", bad), nil); code != http.StatusBadRequest {
			t.Errorf("around=%s: %d", bad, code)
		}
	}
}

func first(rows []row) []row { return rows[:min(len(rows), 3)] }

func TestLeaderboardAsc(t *testing.T) {
	c := fixed("fastest", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	c.Leaderboard.Order = "asc"
	c.Leaderboard.Tiebreakers = []string{contest.TieEarliestFinish}
	f := newFixture(t, now, c)
	f.fill(c, c.Window.Start, "", entry{"slow", 900, 1}, entry{"fast", -20, 5}, entry{"mid", 300, 2}, entry{"mid2", 300, 1})
	var b board
	f.get("/v1/leaderboards/fastest", vals("me", "mid", "around", "1"), &b)
	wantTop := []row{{1, "fast", -20}, {2, "mid2", 300}, {3, "mid", 300}, {4, "slow", 900}}
	if !reflect.DeepEqual(b.Top, wantTop) {
		t.Errorf("asc top %v, want %v", b.Top, wantTop)
	}
	if b.Me == nil || b.Me.Pos != 3 || b.Me.GapToNext == nil || *b.Me.GapToNext != 0 {
		t.Errorf("me %+v", b.Me)
	}
	f.get("/v1/leaderboards/fastest", vals("me", "slow"), &b)
	if b.Me == nil || b.Me.GapToNext == nil || *b.Me.GapToNext != 600 {
		t.Errorf("asc gap is not the absolute difference: %+v", b.Me)
	}
}

func TestLeaderboardWindow(t *testing.T) {
	d := daily("daily")
	f := newFixture(t, ts("2025-10-25T18:30:00Z"), d)
	today, yesterday := ts("2025-10-25T00:00:00Z"), ts("2025-10-24T00:00:00Z")
	f.fill(d, yesterday, "", entry{"old", 5, 1})
	f.fill(d, today, "", entry{"new", 7, 1}, entry{"new2", 6, 1})

	var b board
	f.get("/v1/leaderboards/daily", nil, &b)
	if b.Window != "2025-10-25T00:00:00Z" || b.Total != 2 || b.Status != "live" || b.Top[0].User != "new" {
		t.Errorf("default window: %+v", b)
	}
	f.get("/v1/leaderboards/daily", vals("window", "2025-10-24T00:00:00Z"), &b)
	if b.Window != "2025-10-24T00:00:00Z" || b.Total != 1 || b.Status != "final" || b.Top[0].User != "old" {
		t.Errorf("explicit window: %+v", b)
	}
	// Same instant in another zone names the same window.
	f.get("/v1/leaderboards/daily", vals("window", "2025-10-24T03:00:00+03:00"), &b)
	if b.Window != "2025-10-24T00:00:00Z" || b.Total != 1 {
		t.Errorf("window with offset: %+v", b)
	}
	// A window of the contest that has no board yet: empty, not 404.
	var raw map[string]json.RawMessage
	if code := f.get("/v1/leaderboards/daily", vals("window", "2025-10-26T00:00:00Z"), &raw); code != http.StatusOK {
		t.Fatalf("future window: %d", code)
	}
	if string(raw["total"]) != "0" || string(raw["top"]) != "[]" || string(raw["updated_at"]) != "null" ||
		string(raw["status"]) != `"scheduled"` || string(raw["next_cursor"]) != "null" || string(raw["me"]) != "null" {
		t.Errorf("empty board: %v", stringify(raw))
	}
	for _, bad := range []string{"2025-10-24T01:00:00Z", "yesterday", "2025-10-24"} {
		var e apiError
		if code := f.get("/v1/leaderboards/daily", vals("window", bad), &e); code != http.StatusBadRequest || e.Error == "" {
			t.Errorf("window=%s: %d %q", bad, code, e.Error)
		}
	}

	// A fixed contest after its end still defaults to its (last) window.
	over := fixed("over", "2025-10-20T10:00:00Z", "2025-10-20T11:00:00Z")
	f.contests = append(f.contests, over)
	f.fill(over, over.Window.Start, "", entry{"w", 1, 0})
	f.get("/v1/leaderboards/over", nil, &b)
	if b.Window != "2025-10-20T10:00:00Z" || b.Status != "final" || b.Total != 1 {
		t.Errorf("ended contest: %+v", b)
	}
}

func stringify(m map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestLeaderboardDivisions(t *testing.T) {
	c := fixed("divs", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	c.Leaderboard.Divisions = contest.DivMarket
	plain := fixed("plain", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	f := newFixture(t, now, c, plain)

	// No board yet: division required, no divisions to offer.
	var e apiError
	if code := f.get("/v1/leaderboards/divs", nil, &e); code != http.StatusBadRequest || e.Error != "division required" ||
		e.Divisions == nil || len(*e.Divisions) != 0 {
		t.Fatalf("no boards: %d %+v", code, e)
	}

	f.fill(c, c.Window.Start, "SE", entry{"s1", 50, 0}, entry{"s2", 40, 0})
	f.fill(c, c.Window.Start, "DE", entry{"d1", 70, 0}, entry{"d2", 60, 0}, entry{"d3", 10, 0})
	e = apiError{}
	if code := f.get("/v1/leaderboards/divs", nil, &e); code != http.StatusBadRequest || e.Error != "division required" ||
		e.Divisions == nil || !reflect.DeepEqual(*e.Divisions, []string{"DE", "SE"}) {
		t.Errorf("without division: %d %+v", code, e)
	}
	var b board
	f.get("/v1/leaderboards/divs", vals("division", "SE"), &b)
	if b.Total != 2 || b.Top[0].User != "s1" {
		t.Errorf("division=SE: %+v", b)
	}
	// me does not pick a division: a user may be on several boards.
	e = apiError{}
	if code := f.get("/v1/leaderboards/divs", vals("me", "s2", "around", "1"), &e); code != http.StatusBadRequest ||
		e.Divisions == nil || !reflect.DeepEqual(*e.Divisions, []string{"DE", "SE"}) {
		t.Errorf("me without division: %d %+v", code, e)
	}
	f.get("/v1/leaderboards/divs", vals("division", "SE", "me", "s2", "around", "1"), &b)
	if b.Total != 2 || b.Me == nil || b.Me.Pos != 2 || *b.Me.GapToNext != 10 || len(b.Around) != 2 {
		t.Errorf("me on division SE: %+v me %+v", b, b.Me)
	}
	// Division values that are no subject token or key segment.
	for i, div := range []string{"live.casino", "a b", "Köln", "*", ">", "x:z"} {
		f.fill(c, c.Window.Start, div, entry{fmt.Sprintf("v%d", i), int64(100 + i), 0})
		b = board{}
		f.get("/v1/leaderboards/divs", vals("division", div), &b)
		if b.Total != 1 || b.Top[0].User != fmt.Sprintf("v%d", i) {
			t.Errorf("division %q: %+v", div, b)
		}
	}
	e = apiError{}
	if code := f.get("/v1/leaderboards/divs", nil, &e); code != http.StatusBadRequest || e.Divisions == nil ||
		!reflect.DeepEqual(*e.Divisions, []string{"*", ">", "DE", "Köln", "SE", "a b", "live.casino", "x:z"}) {
		t.Errorf("divisions listed: %d %+v", code, e)
	}
	// A division with no board: empty.
	f.get("/v1/leaderboards/divs", vals("division", "FI"), &b)
	if b.Total != 0 || len(b.Top) != 0 {
		t.Errorf("division=FI: %+v", b)
	}
	// A contest without divisions refuses one.
	if code := f.get("/v1/leaderboards/plain", vals("division", "DE"), &e); code != http.StatusBadRequest {
		t.Errorf("division on a plain contest: %d", code)
	}
}
