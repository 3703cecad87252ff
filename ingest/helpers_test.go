package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/testkit"
)

const (
	testProvider = "acme"
	testSecret   = "s3cret"
	otherProv    = "other"
	otherSecret  = "other-secret"
)

// testNow is the fixed clock of the handler under test.
var testNow = time.Date(2025, 10, 25, 18, 30, 0, 0, time.UTC)

type env struct {
	t   testing.TB
	ns  *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	h   *HTTP
	reg *prometheus.Registry
	srv *httptest.Server
}

// eventsStream is the EVENTS stream of the tests (the streams package owns
// the real topology).
func eventsStream(mod func(*jetstream.StreamConfig)) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{
		Name:       DefaultStreamName,
		Subjects:   []string{"events.*.*"},
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

// newEnv starts a server, creates EVENTS (unless cfg is nil) and serves the
// webhook on an httptest server.
func newEnv(t testing.TB, cfg *jetstream.StreamConfig) *env {
	t.Helper()
	ns, nc, js := testkit.JetStream(t)
	if cfg != nil {
		if _, err := js.CreateStream(context.Background(), *cfg); err != nil {
			t.Fatalf("create stream: %v", err)
		}
	}
	reg := prometheus.NewRegistry()
	h, err := NewHTTP(HTTPOptions{
		JS:        js,
		Providers: map[string]string{testProvider: testSecret, otherProv: otherSecret},
		Now:       func() time.Time { return testNow },
	}, testkit.Logger(), reg)
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, ns: ns, nc: nc, js: js, h: h, reg: reg, srv: srv}
}

// ev is a valid event of testProvider; mods change it.
func ev(id, user string, mods ...func(map[string]any)) map[string]any {
	m := map[string]any{
		"event_id": id,
		"ts":       testNow.Add(-time.Minute).Format(time.RFC3339),
		"type":     "round_end",
		"user_id":  user,
		"market":   "DE",
		"game":     map[string]any{"id": "g_1", "provider": testProvider, "type": "slot"},
		"bet":      map[string]any{"amount_minor": 100, "currency": "EUR"},
		"win":      map[string]any{"amount_minor": 250},
		"round":    map[string]any{"id": "r-" + id, "duration_ms": 900},
	}
	for _, f := range mods {
		f(m)
	}
	return m
}

func set(path []string, v any) func(map[string]any) {
	return func(m map[string]any) {
		for _, p := range path[:len(path)-1] {
			m = m[p].(map[string]any)
		}
		m[path[len(path)-1]] = v
	}
}

func del(path ...string) func(map[string]any) {
	return func(m map[string]any) {
		for _, p := range path[:len(path)-1] {
			m = m[p].(map[string]any)
		}
		delete(m, path[len(path)-1])
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type req struct {
	body        []byte
	provider    string // "" = testProvider; "-" = no header
	secret      string // "" = the provider's secret
	ts          int64  // 0 = testNow
	sig         string // "" = computed; "-" = no header
	contentType string // "" = application/json; "-" = no header
	method      string
	chunked     bool // hide the length: no Content-Length
}

type answer struct {
	code       int
	retryAfter string
	result     Result
	errMsg     string
	raw        string
}

func (e *env) do(r req) answer {
	e.t.Helper()
	provider, secret := r.provider, r.secret
	if provider == "" {
		provider = testProvider
	}
	if secret == "" {
		secret = map[string]string{testProvider: testSecret, otherProv: otherSecret}[provider]
		if secret == "" {
			secret = "whatever"
		}
	}
	ts := r.ts
	if ts == 0 {
		ts = testNow.Unix()
	}
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunked {
		body = io.MultiReader(body) // not a known-length reader
	}
	hr, err := http.NewRequest(method, e.srv.URL+"/v1/events", body)
	if err != nil {
		e.t.Fatal(err)
	}
	switch r.contentType {
	case "":
		hr.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		hr.Header.Set("Content-Type", r.contentType)
	}
	if provider != "-" {
		hr.Header.Set(HeaderProviderID, provider)
	}
	hr.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	switch r.sig {
	case "":
		hr.Header.Set(HeaderSignature, testkit.Sign(secret, ts, r.body))
	case "-":
	default:
		hr.Header.Set(HeaderSignature, r.sig)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	a := answer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), raw: string(b)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("answer content type %q, body %s", ct, b)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		e.t.Fatalf("answer is not a JSON object: %s", b)
	}
	if _, ok := probe["error"]; ok {
		var eb ErrorBody
		_ = json.Unmarshal(b, &eb)
		a.errMsg = eb.Error
	} else {
		if _, ok := probe["rejected"]; !ok {
			e.t.Fatalf("answer without rejected: %s", b)
		}
		if string(probe["rejected"]) == "null" {
			e.t.Fatalf("rejected is null: %s", b)
		}
		if err := json.Unmarshal(b, &a.result); err != nil {
			e.t.Fatal(err)
		}
	}
	return a
}

// streamEvents reads every message of the stream back with an ordered
// consumer and returns their event ids, sorted, checking the payload, the
// subject and the Nats-Msg-Id (event.DedupKey) agree.
func streamEvents(t *testing.T, js jetstream.JetStream, stream string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	n := int(st.CachedInfo().State.Msgs)
	var ids []string
	if n == 0 {
		return ids
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	for len(ids) < n {
		batch, err := cons.Fetch(n-len(ids), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			msgID := m.Headers().Get(jetstream.MsgIDHeader)
			var body struct {
				EventID string `json:"event_id"`
				UserID  string `json:"user_id"`
				Game    struct {
					Provider string `json:"provider"`
				} `json:"game"`
			}
			if err := json.Unmarshal(m.Data(), &body); err != nil {
				t.Fatalf("stored payload: %v", err)
			}
			if want := event.DedupKey(body.Game.Provider, body.UserID, body.EventID); msgID != want {
				t.Fatalf("Nats-Msg-Id %q, want %q", msgID, want)
			}
			id := body.EventID
			if want := "events." + body.Game.Provider + "." + body.UserID; m.Subject() != want {
				t.Fatalf("subject %q, want %q", m.Subject(), want)
			}
			ids = append(ids, id)
		}
		if err := batch.Error(); err != nil {
			t.Fatalf("fetch: %v", err)
		}
		if got == 0 {
			t.Fatalf("read %d of %d messages", len(ids), n)
		}
	}
	sort.Strings(ids)
	return ids
}

// metricValue is the value of the series of name with the given label
// pairs (a counter's value, a histogram's sample count); -1 when absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			if m.GetHistogram() != nil {
				return float64(m.GetHistogram().GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}
