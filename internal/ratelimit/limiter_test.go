package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestKeyedBucketsAndRetryAfter(t *testing.T) {
	now := time.Unix(1000, 0)
	k := New("t", 2, time.Second, 2, nil)
	k.now = func() time.Time { return now }
	for i := 0; i < 2; i++ {
		if _, ok := k.Allow("a", 1); !ok {
			t.Fatalf("request %d of a refused within the burst", i+1)
		}
	}
	d, ok := k.Allow("a", 1)
	if ok || d <= 0 || d > time.Second {
		t.Fatalf("third request of a: ok=%v retry=%s, want refused within 1s", ok, d)
	}
	if _, ok := k.Allow("b", 1); !ok {
		t.Fatal("b refused because of a")
	}
	if _, ok := k.Allow("a", 5); ok {
		t.Fatal("5 at once passed a burst of 2")
	}
	now = now.Add(600 * time.Millisecond) // 1.2 tokens back
	if _, ok := k.Allow("a", 1); !ok {
		t.Fatal("a still refused after its tokens came back")
	}
}

func TestHandlerAnswers429(t *testing.T) {
	k := New("t", 1, time.Minute, 1, nil)
	h := Handler(k, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	do := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.1.2.3:5555"
		h.ServeHTTP(w, r)
		return w
	}
	if w := do(); w.Code != 204 {
		t.Fatalf("first: %d", w.Code)
	}
	w := do()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("second: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if s := w.Header().Get("Retry-After"); s != "60" && s != "59" {
		t.Fatalf("Retry-After %s, want about a minute", s)
	}
}
