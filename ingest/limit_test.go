package ingest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/internal/ratelimit"
	"github.com/rankstream/rankstream/internal/testkit"
)

// Each provider has its own event budget: over it the answer is 429 with
// Retry-After and nothing is stored; a forged request does not spend the
// provider's budget; another provider is not affected.
func TestIngestRateLimitPerProvider(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	lim := ratelimit.New("ingest", 3, time.Hour, 3, nil)
	h, err := NewHTTP(HTTPOptions{JS: e.js, Providers: map[string]string{testProvider: testSecret, otherProv: otherSecret},
		Now: func() time.Time { return testNow }, Limit: lim.Allow}, testkit.Logger(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)

	for i := 0; i < 5; i++ { // forged signatures: 401, budget untouched
		if a := e.do(req{body: mustJSON(t, ev("f"+strconv.Itoa(i), "u_1")), secret: "forged"}); a.code != http.StatusUnauthorized {
			t.Fatalf("forged request: %d %s", a.code, a.raw)
		}
	}
	batch := []any{ev("a1", "u_1"), ev("a2", "u_2")}
	if a := e.do(req{body: mustJSON(t, batch)}); a.code != http.StatusAccepted || a.result.Accepted != 2 {
		t.Fatalf("first batch: %d %s", a.code, a.raw)
	}
	a := e.do(req{body: mustJSON(t, []any{ev("a3", "u_3"), ev("a4", "u_4")})})
	if a.code != http.StatusTooManyRequests {
		t.Fatalf("over the limit: %d %s, want 429", a.code, a.raw)
	}
	if ra, err := strconv.Atoi(a.retryAfter); err != nil || ra < 1 {
		t.Fatalf("Retry-After %q, want whole seconds >= 1", a.retryAfter)
	}
	other := ev("o1", "u_1", set([]string{"game", "provider"}, otherProv))
	if a := e.do(req{body: mustJSON(t, other), provider: otherProv}); a.code != http.StatusAccepted {
		t.Fatalf("other provider: %d %s", a.code, a.raw)
	}
	if got := streamEvents(t, e.js, "EVENTS"); len(got) != 3 {
		t.Fatalf("stored %v, want a1 a2 o1", got)
	}
}
