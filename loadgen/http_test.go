package loadgen

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rankstream/rankstream/event"
)

// fakeWebhook is a minimal stand-in for the ingest webhook of CONTRACT §2: it
// checks the signature exactly as specified, validates events with
// event.Parse, deduplicates by event_id and answers like the real one.
type fakeWebhook struct {
	t       *testing.T
	secrets map[string]string
	failN   int // answer the first failN requests with 503

	mu         sync.Mutex
	requests   int
	events     int
	maxBatch   int
	mismatches int
	seen       map[string]bool
}

type rejection struct {
	Index   int    `json:"index"`
	EventID string `json:"event_id"`
	Error   string `json:"error"`
}

func (f *fakeWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if r.Method != http.MethodPost || r.URL.Path != "/v1/events" {
		f.t.Errorf("%s %s, want POST /v1/events", r.Method, r.URL.Path)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if f.requests <= f.failN {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read body: %v", err)
		return
	}
	if err := f.verify(r.Header, body); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type %q", ct)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		f.t.Errorf("body is not a JSON array: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.events += len(raws)
	f.maxBatch = max(f.maxBatch, len(raws))
	provider := r.Header.Get("X-Provider-Id")
	accepted, dups := 0, 0
	rejected := []rejection{}
	for i, raw := range raws {
		ev, err := event.Parse(raw)
		switch {
		case err != nil:
			rejected = append(rejected, rejection{Index: i, EventID: ev.EventID, Error: err.Error()})
		case ev.GameProvider != provider:
			f.mismatches++
			rejected = append(rejected, rejection{Index: i, EventID: ev.EventID, Error: event.ReasonProviderMismatch})
		case f.seen[ev.EventID]:
			accepted++
			dups++
		default:
			f.seen[ev.EventID] = true
			accepted++
		}
	}
	status := http.StatusAccepted
	if accepted == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"accepted": accepted, "duplicates": dups, "rejected": rejected})
}

// verify checks X-Provider-Id, X-Timestamp and X-Signature per CONTRACT §2,
// computing the HMAC independently of loadgen.Sign.
func (f *fakeWebhook) verify(h http.Header, body []byte) error {
	secret, ok := f.secrets[h.Get("X-Provider-Id")]
	if !ok {
		return errors.New("unknown provider")
	}
	ts := h.Get("X-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := time.Since(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp skew")
	}
	sig, ok := strings.CutPrefix(h.Get("X-Signature"), "sha256=")
	if !ok {
		return errors.New("signature without sha256= prefix")
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return errors.New("signature not hex")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("bad signature")
	}
	return nil
}

var testSecrets = map[string]string{"acme": "acme-secret", "Hacksaw": "hs-secret"}

func newFakeWebhook(t *testing.T, failN int) (*fakeWebhook, *httptest.Server) {
	f := &fakeWebhook{t: t, secrets: testSecrets, failN: failN, seen: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// expectHTTP replays the generator and returns what the fake webhook should
// answer in total: accepted (duplicates included), duplicates, rejected.
func expectHTTP(opts Options, n int) (accepted, dups, rejected int64) {
	g := NewGenerator(opts)
	seen := map[string]bool{}
	for range n {
		_, id, _, valid := g.Next()
		switch {
		case !valid:
			rejected++
		case seen[id]:
			accepted++
			dups++
		default:
			seen[id] = true
			accepted++
		}
	}
	return accepted, dups, rejected
}

func TestRunHTTPSignedBatches(t *testing.T) {
	f, srv := newFakeWebhook(t, 0)
	opts := Options{
		Count: 1000, Seed: 8, Now: time.Now, DuplicateRate: 0.05, InvalidRate: 0.05,
		Providers: []string{"acme", "Hacksaw"}, HTTPURL: srv.URL, Secrets: testSecrets, BatchSize: 50,
	}
	wantAcc, wantDups, wantRej := expectHTTP(opts, opts.Count)
	st, err := Run(context.Background(), opts, testLogger(t))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events != 1000 || st.Sent != 1000 {
		t.Errorf("webhook got %d events, Sent %d: want 1000", f.events, st.Sent)
	}
	if f.maxBatch > 50 || f.requests < 1000/50 {
		t.Errorf("%d requests, largest batch %d: want batches of at most 50", f.requests, f.maxBatch)
	}
	if f.mismatches != 0 {
		t.Errorf("%d events posted under another provider's X-Provider-Id", f.mismatches)
	}
	if st.Acked != wantAcc || st.Duplicates != wantDups || st.Rejected != wantRej || st.Errors != 0 {
		t.Errorf("stats %+v: want acked %d, duplicates %d, rejected %d, no errors", st, wantAcc, wantDups, wantRej)
	}
	if wantDups == 0 || wantRej == 0 {
		t.Errorf("test data has %d duplicates and %d invalid events: want some of each", wantDups, wantRej)
	}
}

func TestRunHTTPWrongSecretIsCountedAsErrors(t *testing.T) {
	f, srv := newFakeWebhook(t, 0)
	opts := Options{Count: 200, Seed: 1, HTTPURL: srv.URL, Secrets: map[string]string{"acme": "wrong"}}
	st, err := Run(context.Background(), opts, testLogger(t))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Sent != 200 || st.Errors != 200 || st.Acked != 0 {
		t.Errorf("stats %+v: want all 200 refused (401) and counted as errors", st)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events != 0 {
		t.Errorf("fake accepted %d events with a bad signature", f.events)
	}
}

func TestRunHTTPRetriesUnavailable(t *testing.T) {
	f, srv := newFakeWebhook(t, 2)
	opts := Options{Count: 300, Seed: 4, DuplicateRate: -1, HTTPURL: srv.URL, Secrets: testSecrets}
	st, err := Run(context.Background(), opts, testLogger(t))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Acked != 300 || st.Errors != 0 {
		t.Errorf("stats %+v: want every event accepted after the 503s", st)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests != 3+2 {
		t.Errorf("%d requests, want 3 batches + 2 retries", f.requests)
	}
}

func TestSignMatchesContract(t *testing.T) {
	// HMAC-SHA256("k", "1700000000.{}"), computed independently.
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write([]byte("1700000000.{}"))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := Sign("k", "1700000000", []byte("{}")); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
