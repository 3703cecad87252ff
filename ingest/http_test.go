package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/testkit"
)

// badEvent is one malformed event; alone in a request it gets 400 with the
// reason, inside a mixed batch it is listed in "rejected".
type badEvent struct {
	name   string
	elem   any // the batch element
	id     string
	reason string
}

func badEvents() []badEvent {
	long := strings.Repeat("x", 129)
	b := func(name, id, reason string, mods ...func(map[string]any)) badEvent {
		return badEvent{name: name, elem: ev(id, "u_bad", mods...), id: id, reason: reason}
	}
	return append([]badEvent{
		{name: "missing event_id", elem: ev("x", "u_bad", del("event_id")), id: "", reason: event.ReasonMissingField},
		b("missing ts", "b-ts", event.ReasonMissingField, del("ts")),
		b("missing type", "b-type", event.ReasonMissingField, del("type")),
		{name: "missing user_id", elem: ev("b-user", "u", del("user_id")), id: "b-user", reason: event.ReasonMissingField},
		b("missing game.id", "b-gid", event.ReasonMissingField, del("game", "id")),
		b("missing game.provider", "b-gprov", event.ReasonMissingField, del("game", "provider")),
		b("missing game", "b-game", event.ReasonMissingField, del("game")),
		b("missing bet.amount_minor", "b-amount", event.ReasonMissingField, del("bet", "amount_minor")),
		b("missing bet.currency", "b-cur", event.ReasonMissingField, del("bet", "currency")),
		{name: "event_id with space", elem: ev("b id", "u_bad"), id: "b id", reason: event.ReasonInvalidField},
		{name: "event_id 129 chars", elem: ev(long, "u_bad"), id: long, reason: event.ReasonInvalidField},
		{name: "event_id number", elem: ev("x", "u_bad", set([]string{"event_id"}, 42)), id: "", reason: event.ReasonInvalidField},
		b("empty event_id", "", event.ReasonInvalidField),
		{name: "user_id with dot", elem: ev("b-udot", "u.1"), id: "b-udot", reason: event.ReasonInvalidField},
		b("ts not RFC 3339", "b-tsfmt", event.ReasonInvalidField, set([]string{"ts"}, "2025-10-25 18:00:00")),
		b("ts unix number", "b-tsnum", event.ReasonInvalidField, set([]string{"ts"}, 1761415200)),
		b("future ts", "b-future", event.ReasonFutureTS, set([]string{"ts"}, testNow.Add(31*time.Second).Format(time.RFC3339))),
		b("bad type", "b-btype", event.ReasonInvalidField, set([]string{"type"}, "deposit")),
		b("negative bet", "b-neg", event.ReasonInvalidField, set([]string{"bet", "amount_minor"}, -1)),
		b("float bet", "b-float", event.ReasonInvalidField, set([]string{"bet", "amount_minor"}, 1.5)),
		b("string bet", "b-str", event.ReasonInvalidField, set([]string{"bet", "amount_minor"}, "10")),
		b("bet over int64", "b-big", event.ReasonInvalidField, set([]string{"bet", "amount_minor"}, json.Number("9223372036854775808"))),
		b("lower-case currency", "b-eur", event.ReasonInvalidField, set([]string{"bet", "currency"}, "eur")),
		b("4-letter currency", "b-euro", event.ReasonInvalidField, set([]string{"bet", "currency"}, "EURO")),
		b("bad funds", "b-funds", event.ReasonInvalidField, set([]string{"funds"}, "credit")),
		b("game is a string", "b-gstr", event.ReasonInvalidField, set([]string{"game"}, "g_1")),
		b("market too long", "b-market", event.ReasonInvalidField, set([]string{"market"}, strings.Repeat("M", 33))),
		b("negative win", "b-win", event.ReasonInvalidField, set([]string{"win", "amount_minor"}, -5)),
		b("string win", "b-winstr", event.ReasonInvalidField, set([]string{"win", "amount_minor"}, "5")),
		b("negative multiplier", "b-mult", event.ReasonInvalidField, set([]string{"win", "multiplier"}, -0.5)),
		b("float duration", "b-dur", event.ReasonInvalidField, set([]string{"round", "duration_ms"}, 1.5)),
		b("provider mismatch", "b-prov", event.ReasonProviderMismatch, set([]string{"game", "provider"}, otherProv)),
		{name: "element not an object", elem: 42, id: "", reason: event.ReasonBadJSON},
		{name: "element is an array", elem: []any{ev("b-arr", "u_bad")}, id: "", reason: event.ReasonBadJSON},
	}, strictBadEvents()...)
}

func TestHTTPMalformedEvents(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	for _, c := range badEvents() {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			body := mustJSON(t, []any{c.elem})
			a := e.do(req{body: body})
			if a.code != http.StatusBadRequest {
				t.Fatalf("code %d, want 400: %s", a.code, a.raw)
			}
			if a.result.Accepted != 0 || a.result.Duplicates != 0 || len(a.result.Rejected) != 1 {
				t.Fatalf("answer %s", a.raw)
			}
			rj := a.result.Rejected[0]
			if rj.Index != 0 || rj.EventID != c.id || !strings.HasPrefix(rj.Error, c.reason+": ") {
				t.Fatalf("rejection %+v, want index 0, event_id %q, reason %s", rj, c.id, c.reason)
			}
		})
	}
	e.t = t
	if ids := streamEvents(t, e.js, DefaultStreamName); len(ids) != 0 {
		t.Fatalf("invalid events reached the stream: %v", ids)
	}
}

func TestHTTPMalformedRequests(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	one := mustJSON(t, []any{ev("r-1", "u_1")})
	var many []any
	for i := range MaxBatch + 1 {
		many = append(many, ev(fmt.Sprintf("many-%d", i), "u_1"))
	}
	manyBody := mustJSON(t, many)
	if len(manyBody) > MaxBodyBytes {
		t.Fatalf("1001 events take %d bytes, test needs them under 1 MiB", len(manyBody))
	}
	big := ev("big", "u_1", set([]string{"pad"}, strings.Repeat("p", MaxBodyBytes)))
	bigBody := mustJSON(t, big)

	cases := []struct {
		name string
		r    req
		code int
	}{
		{"array of 1001", req{body: manyBody}, http.StatusBadRequest},
		{"body over 1 MiB", req{body: bigBody}, http.StatusRequestEntityTooLarge},
		{"body over 1 MiB unsigned", req{body: bigBody, sig: "-"}, http.StatusRequestEntityTooLarge},
		{"body over 1 MiB chunked", req{body: bigBody, chunked: true}, http.StatusRequestEntityTooLarge},
		{"not JSON", req{body: []byte(`{"event_id": "x",`)}, http.StatusBadRequest},
		{"not JSON at all", req{body: []byte(`event_id=x`)}, http.StatusBadRequest},
		{"array not JSON", req{body: []byte(`[{"event_id":"x"},`)}, http.StatusBadRequest},
		{"trailing garbage", req{body: append(bytes.Clone(one), []byte(" []")...)}, http.StatusBadRequest},
		{"JSON scalar", req{body: []byte(`"hello"`)}, http.StatusBadRequest},
		{"empty body", req{body: nil}, http.StatusBadRequest},
		{"empty array", req{body: []byte(`[]`)}, http.StatusBadRequest},
		{"bad signature", req{body: one, sig: "sha256=" + strings.Repeat("ab", 32)}, http.StatusUnauthorized},
		{"signature with another secret", req{body: one, secret: "wrong"}, http.StatusUnauthorized},
		{"signature of another body", req{body: one, sig: testkit.Sign(testSecret, testNow.Unix(), []byte(`[]`))}, http.StatusUnauthorized},
		{"signature of another timestamp", req{body: one, sig: testkit.Sign(testSecret, testNow.Unix()-1, one)}, http.StatusUnauthorized},
		{"signature without prefix", req{body: one, sig: strings.TrimPrefix(testkit.Sign(testSecret, testNow.Unix(), one), "sha256=")}, http.StatusUnauthorized},
		{"signature not hex", req{body: one, sig: "sha256=zz"}, http.StatusUnauthorized},
		{"missing signature", req{body: one, sig: "-"}, http.StatusUnauthorized},
		{"unknown provider", req{body: one, provider: "nobody", secret: "x"}, http.StatusUnauthorized},
		{"missing provider", req{body: one, provider: "-"}, http.StatusUnauthorized},
		{"stale timestamp", req{body: one, ts: testNow.Add(-5*time.Minute - time.Second).Unix()}, http.StatusUnauthorized},
		{"timestamp from the future", req{body: one, ts: testNow.Add(5*time.Minute + time.Second).Unix()}, http.StatusUnauthorized},
		{"wrong content type", req{body: one, contentType: "text/plain"}, http.StatusUnsupportedMediaType},
		{"form content type", req{body: one, contentType: "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"GET", req{body: nil, method: http.MethodGet}, http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			a := e.do(c.r)
			if a.code != c.code {
				t.Fatalf("code %d, want %d: %s", a.code, c.code, a.raw)
			}
			if a.errMsg == "" {
				t.Fatalf("no error message: %s", a.raw)
			}
		})
	}
	e.t = t
	if ids := streamEvents(t, e.js, DefaultStreamName); len(ids) != 0 {
		t.Fatalf("refused requests reached the stream: %v", ids)
	}
	if got := metricValue(t, e.reg, "rankstream_ingest_requests_total", "code", "401"); got != 11 {
		t.Fatalf("requests_total{code=401} = %v, want 11", got)
	}
}

func TestHTTPMixedBatch(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	bad := badEvents()
	var batch []any
	var wantIDs []string
	wantRejected := map[int]badEvent{}
	for i, b := range bad {
		id := fmt.Sprintf("ok-%02d", i)
		batch = append(batch, ev(id, fmt.Sprintf("u_%d", i%3)))
		wantIDs = append(wantIDs, id)
		wantRejected[len(batch)] = b
		batch = append(batch, b.elem)
	}
	// Edge cases that are valid: ts exactly at the skew, unknown fields, no
	// optional fields, bet 0, bonus funds.
	batch = append(batch,
		ev("ok-skew", "u_1", set([]string{"ts"}, testNow.Add(event.DefaultMaxFutureSkew).Format(time.RFC3339))),
		ev("ok-unknown", "u_1", set([]string{"extra"}, map[string]any{"nested": []any{1, "x"}}), set([]string{"game", "rtp"}, 96.5)),
		ev("ok-minimal", "u_2", del("market"), del("win"), del("round"), del("game", "type")),
		ev("ok-zero:bet.1", "u_2", set([]string{"bet", "amount_minor"}, 0), set([]string{"funds"}, "bonus")),
	)
	wantIDs = append(wantIDs, "ok-skew", "ok-unknown", "ok-minimal", "ok-zero:bet.1")
	for _, v := range validEdges() {
		batch = append(batch, v.elem)
		wantIDs = append(wantIDs, v.id)
	}

	a := e.do(req{body: mustJSON(t, batch)})
	if a.code != http.StatusAccepted {
		t.Fatalf("code %d: %s", a.code, a.raw)
	}
	if a.result.Accepted != len(wantIDs) || a.result.Duplicates != 0 || len(a.result.Rejected) != len(bad) {
		t.Fatalf("accepted %d duplicates %d rejected %d, want %d 0 %d", a.result.Accepted, a.result.Duplicates,
			len(a.result.Rejected), len(wantIDs), len(bad))
	}
	reasons := map[string]int{}
	for k, rj := range a.result.Rejected {
		b, ok := wantRejected[rj.Index]
		if !ok {
			t.Fatalf("rejected index %d is a valid event: %+v", rj.Index, rj)
		}
		if k > 0 && a.result.Rejected[k-1].Index >= rj.Index {
			t.Fatalf("rejections not in index order")
		}
		if rj.EventID != b.id || !strings.HasPrefix(rj.Error, b.reason+": ") {
			t.Fatalf("%s: rejection %+v, want event_id %q reason %s", b.name, rj, b.id, b.reason)
		}
		reasons[b.reason]++
	}
	got := streamEvents(t, e.js, DefaultStreamName)
	sort.Strings(wantIDs)
	if !slices.Equal(got, wantIDs) {
		t.Fatalf("stream holds %v\nwant %v", got, wantIDs)
	}
	for reason, n := range reasons {
		if v := metricValue(t, e.reg, "rankstream_ingest_rejected_total", "door", DoorHTTP, "reason", reason); v != float64(n) {
			t.Errorf("rejected_total{reason=%s} = %v, want %d", reason, v, n)
		}
	}
	if v := metricValue(t, e.reg, "rankstream_ingest_events_total", "door", DoorHTTP, "result", ResultAccepted); v != float64(len(wantIDs)) {
		t.Errorf("events_total{accepted} = %v", v)
	}
	if v := metricValue(t, e.reg, "rankstream_ingest_events_total", "door", DoorHTTP, "result", ResultRejected); v != float64(len(bad)) {
		t.Errorf("events_total{rejected} = %v", v)
	}
	if n := metricValue(t, e.reg, "rankstream_ingest_request_duration_seconds"); n != 1 {
		t.Errorf("duration histogram holds %v observations, want 1", n)
	}
}

func TestHTTPSingleObjectAndHeaders(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	// A single object, no Content-Type, timestamp just inside the skew.
	a := e.do(req{body: mustJSON(t, ev("single", "u_1")), contentType: "-", ts: testNow.Add(-5 * time.Minute).Unix()})
	if a.code != http.StatusAccepted || a.result.Accepted != 1 || len(a.result.Rejected) != 0 {
		t.Fatalf("code %d: %s", a.code, a.raw)
	}
	if !strings.Contains(a.raw, `"rejected":[]`) {
		t.Fatalf("rejected must be an empty array: %s", a.raw)
	}
	// Content-Type with parameters; another provider's events under its own id.
	a = e.do(req{body: mustJSON(t, ev("other-1", "u_1", set([]string{"game", "provider"}, otherProv))),
		provider: otherProv, contentType: "application/json; charset=utf-8"})
	if a.code != http.StatusAccepted || a.result.Accepted != 1 {
		t.Fatalf("code %d: %s", a.code, a.raw)
	}
	if got := streamEvents(t, e.js, DefaultStreamName); !slices.Equal(got, []string{"other-1", "single"}) {
		t.Fatalf("stream holds %v", got)
	}
}

func TestHTTPDuplicates(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	var batch []any
	for i := range 20 {
		batch = append(batch, ev(fmt.Sprintf("d-%d", i), fmt.Sprintf("u_%d", i%4)))
	}
	body := mustJSON(t, batch)
	a := e.do(req{body: body})
	if a.code != http.StatusAccepted || a.result.Accepted != 20 || a.result.Duplicates != 0 {
		t.Fatalf("first: %d %s", a.code, a.raw)
	}
	a = e.do(req{body: body})
	if a.code != http.StatusAccepted || a.result.Accepted != 0 || a.result.Duplicates != 20 {
		t.Fatalf("second: %d %s", a.code, a.raw)
	}

	// Within one batch: the second copy is a duplicate; an invalid event with
	// the same id does not shadow the valid one.
	inBatch := []any{
		ev("w-1", "u_1", set([]string{"bet", "currency"}, "eur")),
		ev("w-1", "u_1"),
		ev("w-2", "u_2"),
		ev("w-1", "u_1"),
		ev("d-3", "u_3"), // stored by the first request
	}
	a = e.do(req{body: mustJSON(t, inBatch)})
	if a.code != http.StatusAccepted || a.result.Accepted != 2 || a.result.Duplicates != 2 || len(a.result.Rejected) != 1 {
		t.Fatalf("in batch: %d %s", a.code, a.raw)
	}
	if got := streamEvents(t, e.js, DefaultStreamName); len(got) != 22 {
		t.Fatalf("stream holds %d events, want 22", len(got))
	}
	if v := metricValue(t, e.reg, "rankstream_ingest_events_total", "door", DoorHTTP, "result", ResultDuplicate); v != 22 {
		t.Fatalf("events_total{duplicate} = %v, want 22", v)
	}
}

func wantUnavailable(t *testing.T, a answer) {
	t.Helper()
	if a.code != http.StatusServiceUnavailable {
		t.Fatalf("code %d, want 503: %s", a.code, a.raw)
	}
	if a.retryAfter == "" {
		t.Fatalf("503 without Retry-After")
	}
	if a.errMsg == "" {
		t.Fatalf("503 without error: %s", a.raw)
	}
}

func TestHTTPStreamMissing(t *testing.T) {
	e := newEnv(t, nil)
	wantUnavailable(t, e.do(req{body: mustJSON(t, []any{ev("m-1", "u_1")})}))
}

func TestHTTPStreamDeleted(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	if a := e.do(req{body: mustJSON(t, []any{ev("del-1", "u_1")})}); a.code != http.StatusAccepted {
		t.Fatalf("warm up: %d %s", a.code, a.raw)
	}
	if err := e.js.DeleteStream(context.Background(), DefaultStreamName); err != nil {
		t.Fatal(err)
	}
	// The cached stream info still says the stream exists: the publish fails.
	wantUnavailable(t, e.do(req{body: mustJSON(t, []any{ev("del-2", "u_1"), ev("del-3", "u_2")})}))
	// After a failed publish the info is fetched again.
	wantUnavailable(t, e.do(req{body: mustJSON(t, []any{ev("del-2", "u_1")})}))
	// Recreated: the retry succeeds.
	if _, err := e.js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// Once the cache of the failed fetch expires the batch can be sent
	// again. An attempt that timed out on a loaded machine may have stored
	// the events before its 503: the resend then finds them as duplicates,
	// and the stream below still holds each once.
	testkit.Eventually(t, 5*time.Second, func() error {
		if a := e.do(req{body: mustJSON(t, []any{ev("del-2", "u_1"), ev("del-3", "u_2")})}); a.code != http.StatusAccepted || a.result.Accepted+a.result.Duplicates != 2 {
			return fmt.Errorf("after recreate: %d %s", a.code, a.raw)
		}
		return nil
	})
	if got := streamEvents(t, e.js, DefaultStreamName); !slices.Equal(got, []string{"del-2", "del-3"}) {
		t.Fatalf("recreated stream holds %v, want del-2 del-3 once", got)
	}
}

func TestHTTPStreamFull(t *testing.T) {
	cfg := eventsStream(func(c *jetstream.StreamConfig) {
		c.MaxMsgs = 3
		c.Discard = jetstream.DiscardNew
	})
	e := newEnv(t, &cfg)
	if a := e.do(req{body: mustJSON(t, []any{ev("f-1", "u_1"), ev("f-2", "u_2")})}); a.code != http.StatusAccepted {
		t.Fatalf("first: %d %s", a.code, a.raw)
	}
	// Room for one, the batch has two: nothing may be written.
	wantUnavailable(t, e.do(req{body: mustJSON(t, []any{ev("f-3", "u_1"), ev("f-4", "u_2")})}))
	if got := streamEvents(t, e.js, DefaultStreamName); !slices.Equal(got, []string{"f-1", "f-2"}) {
		t.Fatalf("stream holds %v", got)
	}
	if a := e.do(req{body: mustJSON(t, []any{ev("f-3", "u_1")})}); a.code != http.StatusAccepted || a.result.Accepted != 1 {
		t.Fatalf("last slot: %d %s", a.code, a.raw)
	}
	wantUnavailable(t, e.do(req{body: mustJSON(t, []any{ev("f-4", "u_1")})}))

	// Once the cached info expires, the state comes from the server.
	time.Sleep(1100 * time.Millisecond)
	wantUnavailable(t, e.do(req{body: mustJSON(t, []any{ev("f-5", "u_1")})}))
	if got := streamEvents(t, e.js, DefaultStreamName); !slices.Equal(got, []string{"f-1", "f-2", "f-3"}) {
		t.Fatalf("stream holds %v", got)
	}
	// A batch of only invalid events is still judged (400), full stream or not.
	if a := e.do(req{body: mustJSON(t, []any{ev("f-6", "u_1", del("ts"))})}); a.code != http.StatusBadRequest {
		t.Fatalf("invalid batch on a full stream: %d %s", a.code, a.raw)
	}
}

func TestHTTPStreamFilledBehindTheCache(t *testing.T) {
	cfg := eventsStream(func(c *jetstream.StreamConfig) {
		c.MaxMsgs = 3
		c.Discard = jetstream.DiscardNew
	})
	e := newEnv(t, &cfg)
	if a := e.do(req{body: mustJSON(t, []any{ev("c-1", "u_1")})}); a.code != http.StatusAccepted {
		t.Fatalf("warm up: %d %s", a.code, a.raw)
	}
	// Another publisher fills the stream while the handler's info is cached.
	ctx := context.Background()
	for i := range 2 {
		if _, err := e.js.Publish(ctx, "events.acme.u_x", []byte(`{}`), jetstream.WithMsgID(fmt.Sprintf("x-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// The publish itself is refused: 503, and retrying later is safe.
	wantUnavailable(t, e.do(req{body: mustJSON(t, []any{ev("c-2", "u_1")})}))
	st, err := e.js.Stream(ctx, DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 3 {
		t.Fatalf("stream holds %d messages, want 3", n)
	}
}

func TestHTTPStreamMaxBytes(t *testing.T) {
	cfg := eventsStream(func(c *jetstream.StreamConfig) {
		c.MaxBytes = 4096
		c.Discard = jetstream.DiscardNew
	})
	e := newEnv(t, &cfg)
	var batch []any
	for i := range 20 {
		batch = append(batch, ev(fmt.Sprintf("mb-%d", i), "u_1"))
	}
	wantUnavailable(t, e.do(req{body: mustJSON(t, batch)}))
	if got := streamEvents(t, e.js, DefaultStreamName); len(got) != 0 {
		t.Fatalf("stream holds %v", got)
	}
	if a := e.do(req{body: mustJSON(t, batch[:2])}); a.code != http.StatusAccepted || a.result.Accepted != 2 {
		t.Fatalf("small batch: %d %s", a.code, a.raw)
	}
}

func TestNewHTTPOptions(t *testing.T) {
	_, _, js := testkit.JetStream(t)
	if _, err := NewHTTP(HTTPOptions{}, nil, nil); err == nil {
		t.Fatal("nil JS accepted")
	}
	if _, err := NewHTTP(HTTPOptions{JS: js, Providers: map[string]string{"a.b": "s"}}, nil, nil); err == nil {
		t.Fatal("provider id with a dot accepted")
	}
	if _, err := NewHTTP(HTTPOptions{JS: js, Providers: map[string]string{"a": ""}}, nil, nil); err == nil {
		t.Fatal("empty secret accepted")
	}
	// Two handlers on one registry share the metrics.
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	if _, err := NewHTTP(HTTPOptions{JS: e.js}, nil, e.reg); err != nil {
		t.Fatalf("second handler on the same registry: %v", err)
	}
}

func TestHTTPConcurrent(t *testing.T) {
	cfg := eventsStream(nil)
	e := newEnv(t, &cfg)
	const workers, perWorker, batchSize = 4, 5, 50
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for r := range perWorker {
				var batch []any
				for i := range batchSize {
					batch = append(batch, ev(fmt.Sprintf("c-%d-%d-%d", w, r, i), fmt.Sprintf("u_%d", i%7)))
				}
				body, _ := json.Marshal(batch)
				hr, _ := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(body))
				hr.Header.Set(HeaderProviderID, testProvider)
				hr.Header.Set(HeaderTimestamp, fmt.Sprint(testNow.Unix()))
				hr.Header.Set(HeaderSignature, testkit.Sign(testSecret, testNow.Unix(), body))
				resp, err := http.DefaultClient.Do(hr)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					errs <- fmt.Errorf("code %d", resp.StatusCode)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := streamEvents(t, e.js, DefaultStreamName); len(got) != workers*perWorker*batchSize {
		t.Fatalf("stream holds %d", len(got))
	}
}
