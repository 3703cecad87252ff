package query

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/readmodel"
)

// fixture is a query API over a real Redis, with a writer to fill boards.
type fixture struct {
	t        *testing.T
	rdb      *redis.Client
	writer   *readmodel.Writer
	srv      *httptest.Server
	contests []*contest.Contest
	now      time.Time
	frozen   map[string]bool
	closed   map[closeKey]time.Time // finalized windows
	reg      *prometheus.Registry
}

type closeKey struct {
	contest string
	window  int64
}

func newFixture(t *testing.T, now time.Time, cs ...*contest.Contest) *fixture {
	t.Helper()
	rdb, prefix := testkit.Redis(t, "query")
	f := &fixture{t: t, rdb: rdb, contests: cs, now: now, frozen: map[string]bool{}, closed: map[closeKey]time.Time{}, reg: prometheus.NewRegistry()}
	f.writer = readmodel.NewWriter(rdb, prefix, nil, f.reg)
	h, err := New(Options{
		Reader:   readmodel.NewReader(rdb, prefix),
		Contests: func() []*contest.Contest { return f.contests },
		Now:      func() time.Time { return f.now },
		Frozen:   func(id string) bool { return f.frozen[id] },
		ClosedAt: func(id string, w int64) (time.Time, bool) { at, ok := f.closed[closeKey{id, w}]; return at, ok },
	}, nil, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// entry is one user and score of a board to write.
type entry struct {
	user  string
	score int64
	tie   int64 // word 1 when the contest has a tie-breaker
}

// fill writes a board of contest c: key word 0 from the score and the
// contest's order, further words from tie.
func (f *fixture) fill(c *contest.Contest, win time.Time, div string, entries ...entry) {
	f.t.Helper()
	nw := c.Leaderboard.KeyWords()
	bc := readmodel.BoardChange{
		ID:   contest.BoardID{Contest: c.ID, Window: win.Unix(), Division: div},
		Meta: readmodel.BoardMeta{NWords: nw, Order: c.Leaderboard.Order, UpdatedAt: f.now.Add(-time.Second)},
	}
	for _, e := range entries {
		key := c.Leaderboard.SortKey(contest.Standing{Score: e.score}, nil)
		for i := 1; i < nw; i++ {
			key[i] = e.tie
		}
		bc.Upserts = append(bc.Upserts, readmodel.Upsert{User: e.user, Key: key})
	}
	if err := f.writer.Apply(context.Background(), []readmodel.BoardChange{bc}); err != nil {
		f.t.Fatal(err)
	}
}

// get requests path with the query and decodes the JSON answer into out
// (when not nil); it returns the status code.
func (f *fixture) get(path string, q url.Values, out any) int {
	f.t.Helper()
	u := f.srv.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("GET %s: Content-Type %q", u, ct)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			f.t.Fatalf("GET %s: %v in %s", u, err, body)
		}
	}
	return resp.StatusCode
}

// board is the decoded §4 body.
type board struct {
	Contest    string  `json:"contest"`
	Window     string  `json:"window"`
	Status     string  `json:"status"`
	Total      int64   `json:"total"`
	UpdatedAt  *string `json:"updated_at"`
	Top        []row   `json:"top"`
	Me         *me     `json:"me"`
	Around     []row   `json:"around"`
	NextCursor *string `json:"next_cursor"`
}

type row struct {
	Pos   int    `json:"pos"`
	User  string `json:"user"`
	Score int64  `json:"score"`
}

type me struct {
	Pos       int    `json:"pos"`
	Score     int64  `json:"score"`
	GapToNext *int64 `json:"gap_to_next"`
}

type apiError struct {
	Error     string    `json:"error"`
	Divisions *[]string `json:"divisions"`
}

func vals(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func fixed(id, start, end string) *contest.Contest {
	return &contest.Contest{
		ID: id, Title: "Contest " + id, Version: 1,
		Window:      &contest.FixedWindow{Start: ts(start), End: ts(end)},
		Lateness:    90 * time.Second,
		Leaderboard: contest.Leaderboard{Type: contest.TypeSum, Order: "desc"},
	}
}

func daily(id string) *contest.Contest {
	return &contest.Contest{
		ID: id, Title: "Daily " + id, Version: 3,
		Schedule:    &contest.Schedule{Cron: "0 0 * * *", Duration: 24 * time.Hour, TZ: time.UTC, TZName: "UTC"},
		Lateness:    time.Minute,
		Leaderboard: contest.Leaderboard{Type: contest.TypeMax, Order: "desc", Tiebreakers: []string{contest.TieFewestRounds}},
	}
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
