package query

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/readmodel"
)

func TestLeaderboardErrors(t *testing.T) {
	f, _, _ := sprintBoard(t)
	var e apiError
	if code := f.get("/v1/leaderboards/nope", nil, &e); code != http.StatusNotFound || e.Error != "unknown contest" {
		t.Errorf("unknown contest: %d %+v", code, e)
	}
	// Frozen by operators.
	f.frozen["sprint"] = true
	var b board
	f.get("/v1/leaderboards/sprint", vals("top", "1"), &b)
	if b.Status != "frozen" {
		t.Errorf("status %q, want frozen", b.Status)
	}
}

func TestReadFailure(t *testing.T) {
	// A Redis that is not there: 503 with a JSON error, counted.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	c := fixed("sprint", "2025-10-25T18:00:00Z", "2025-10-25T19:00:00Z")
	h, err := New(Options{Reader: readmodel.NewReader(rdb, "x:"), Contests: func() []*contest.Contest { return []*contest.Contest{c} },
		Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/leaderboards/sprint", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if n := counter(t, h.m.ReadErrors.WithLabelValues(endpointLeaderboard)); n != 1 {
		t.Errorf("read errors %v", n)
	}
	if n := counter(t, h.m.Requests.WithLabelValues(endpointLeaderboard, "503")); n != 1 {
		t.Errorf("requests{code=503} %v", n)
	}
}

func TestNewOptions(t *testing.T) {
	r := readmodel.NewReader(nil, "")
	cs := func() []*contest.Contest { return nil }
	for name, o := range map[string]Options{
		"no reader":   {Contests: cs},
		"no contests": {Reader: r},
		"bad timeout": {Reader: r, Contests: cs, Timeout: -time.Second},
	} {
		if _, err := New(o, nil, nil); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
