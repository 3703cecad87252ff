// Package ingest holds rankstream's ingest doors: the HTTP webhook of
// CONTRACT.md §2 that validates provider events and publishes them to the
// EVENTS JetStream stream, and the metrics both doors share.
package ingest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/internal/httpjson"
)

// Limits and defaults of the HTTP webhook.
const (
	MaxBodyBytes          = 1 << 20 // 1 MiB
	MaxBatch              = 1000
	DefaultSignatureSkew  = 5 * time.Minute
	DefaultStreamName     = "EVENTS"
	DefaultPublishTimeout = 10 * time.Second

	HeaderProviderID = "X-Provider-Id"
	HeaderTimestamp  = "X-Timestamp"
	HeaderSignature  = "X-Signature"

	// RetryAfterSeconds is the Retry-After of a 503.
	RetryAfterSeconds = 1

	signaturePrefix = "sha256="
)

// HTTPOptions configure the HTTP webhook.
type HTTPOptions struct {
	JS            jetstream.JetStream
	Providers     map[string]string // provider id -> HMAC secret
	MaxFutureSkew time.Duration     // default event.DefaultMaxFutureSkew
	SignatureSkew time.Duration     // default 5m
	Now           func() time.Time  // default time.Now
	StreamName    string            // default "EVENTS", used for the availability check
	// PublishTimeout bounds the wait for the publish acks of one request
	// (default 10s); past it the answer is 503.
	PublishTimeout time.Duration
	// Limit, when set, is asked for every authenticated request with its
	// provider and event count; refused requests get 429 + Retry-After and
	// nothing is published (limit.go).
	Limit Limiter
}

// HTTP is the provider webhook, POST /v1/events (CONTRACT.md §2).
//
// A 202 means every accepted event is durably in JetStream: the handler
// publishes asynchronously and answers only after every publish ack came back.
// Before publishing it checks that the stream exists and has room for the whole
// batch (DiscardNew limits), so a full or missing stream gets 503 with nothing
// written. Should a publish still fail midway (connection lost, stream deleted
// or filled by someone else in the meantime), the answer is 503 although part
// of the batch may be stored: retrying the same request is safe because every
// message carries Nats-Msg-Id: <provider>:<user_id>:<event_id>
// (event.DedupKey), so the events already stored come
// back as duplicates (within the stream's duplicate window) and are not
// stored twice.
type HTTP struct {
	js             jetstream.JetStream
	providers      map[string][]byte
	maxFutureSkew  time.Duration
	signatureSkew  time.Duration
	now            func() time.Time
	stream         string
	streamHdr      []string // Nats-Expected-Stream of every message: one slice, only read by the client
	publishTimeout time.Duration
	limit          Limiter
	gate           *streamGate
	metrics        *Metrics
	log            *slog.Logger
}

// NewHTTP builds the webhook handler; its metrics are registered on reg (nil:
// not registered).
func NewHTTP(opts HTTPOptions, logger *slog.Logger, reg prometheus.Registerer) (*HTTP, error) {
	if opts.JS == nil {
		return nil, errors.New("ingest: HTTPOptions.JS is nil")
	}
	if opts.MaxFutureSkew <= 0 {
		opts.MaxFutureSkew = event.DefaultMaxFutureSkew
	}
	if opts.SignatureSkew <= 0 {
		opts.SignatureSkew = DefaultSignatureSkew
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StreamName == "" {
		opts.StreamName = DefaultStreamName
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = DefaultPublishTimeout
	}
	providers := make(map[string][]byte, len(opts.Providers))
	for id, secret := range opts.Providers {
		// The provider id becomes a subject token: the same rule as game.provider.
		if !validProviderID(id) {
			return nil, fmt.Errorf("ingest: provider id %q: must be 1..%d characters of [A-Za-z0-9_-]", id, event.MaxGameRefLen)
		}
		if secret == "" {
			return nil, fmt.Errorf("ingest: provider %q has an empty secret", id)
		}
		providers[id] = []byte(secret)
	}
	if logger == nil {
		logger = slog.Default()
	}
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	m.initDoor(DoorHTTP, httpReasons...)
	return &HTTP{
		js:             opts.JS,
		providers:      providers,
		maxFutureSkew:  opts.MaxFutureSkew,
		signatureSkew:  opts.SignatureSkew,
		now:            opts.Now,
		stream:         opts.StreamName,
		streamHdr:      []string{opts.StreamName},
		publishTimeout: opts.PublishTimeout,
		limit:          opts.Limit,
		gate:           newStreamGate(opts.JS, opts.StreamName),
		metrics:        m,
		log:            logger.With("component", "ingest", "door", DoorHTTP),
	}, nil
}

func validProviderID(id string) bool { return event.ValidToken(id, 1, event.MaxGameRefLen) }

// Result is the body of a 202 (and of a 400 when every event is invalid).
type Result struct {
	Accepted   int         `json:"accepted"`
	Duplicates int         `json:"duplicates"`
	Rejected   []Rejection `json:"rejected"` // never null
}

// Rejection names one invalid event of a batch.
type Rejection struct {
	Index   int    `json:"index"`
	EventID string `json:"event_id"`
	Error   string `json:"error"` // "<reason>: <detail>"
	reason  string
}

// ErrorBody is the body of a request-level failure (400, 401, 405, 413, 415, 503).
type ErrorBody struct {
	Error string `json:"error"`
}

// ServeHTTP handles POST /v1/events.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code := h.serve(w, r)
	h.metrics.Request(code, time.Since(start))
}

type httpError struct {
	code    int
	msg     string
	notJSON bool // the body is not JSON at all
}

func (e *httpError) Error() string { return e.msg }

func fail(code int, format string, args ...any) *httpError {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

func (h *HTTP) serve(w http.ResponseWriter, r *http.Request) int {
	arrival := h.now()
	provider := r.Header.Get(HeaderProviderID)
	body, herr := h.readRequest(r, arrival)
	if herr != nil {
		return h.writeError(w, r, provider, herr)
	}
	raws, herr := splitBatch(body)
	if herr != nil {
		if herr.notJSON {
			// A body that is no JSON at all counts as one unreadable event.
			h.metrics.Reject(DoorHTTP, event.ReasonBadJSON)
		}
		return h.writeError(w, r, provider, herr)
	}
	if code, refused := h.overLimit(w, provider, len(raws)); refused {
		return code
	}

	res := Result{Rejected: make([]Rejection, 0)}
	// The request's messages and their Nats-Msg-Id values in one allocation
	// each (never grown: at most one per event), not two per event.
	slab := make([]nats.Msg, 0, len(raws))
	keys := make([]string, len(raws))
	msgs := make([]*nats.Msg, 0, len(raws))
	seen := make(map[string]struct{}, len(raws))
	localDup := 0
	maxSize := -1 // largest message the connection and the stream take; -1: not known yet
	for i, raw := range raws {
		ev, err := h.check(raw, provider, arrival)
		if err != nil {
			res.Rejected = append(res.Rejected, rejection(i, ev.EventID, err))
			continue
		}
		key := event.DedupKey(provider, ev.UserID, ev.EventID)
		keys[i] = key
		m := nats.Msg{
			Subject: event.Subject(provider, ev.UserID),
			Data:    raw,
			Header: nats.Header{
				jetstream.MsgIDHeader:          keys[i : i+1 : i+1], // cap 1, as the stream's: an append by anyone copies
				jetstream.ExpectedStreamHeader: h.streamHdr[:1:1],
			},
		}
		if maxSize < 0 {
			maxSize = h.maxMsgSize(r.Context())
		}
		if size := msgSize(&m); maxSize > 0 && size > uint64(maxSize) {
			// It would fail on every retry: invalid rather than a 503.
			res.Rejected = append(res.Rejected, rejection(i, ev.EventID, &event.Invalid{Reason: event.ReasonInvalidField,
				Msg: fmt.Sprintf("event of %d bytes exceeds the largest message the stream takes (%d)", len(raw), maxSize)}))
			continue
		}
		if _, dup := seen[key]; dup {
			// JetStream would drop it as a duplicate too; not publishing it
			// keeps the count exact whatever the ack order.
			localDup++
			continue
		}
		seen[key] = struct{}{}
		slab = append(slab, m)
		msgs = append(msgs, &slab[len(slab)-1])
	}

	if len(msgs) > 0 {
		accepted, dups, err := h.publish(r.Context(), msgs)
		if err != nil {
			return h.writeError(w, r, provider, fail(http.StatusServiceUnavailable, "%v", err))
		}
		res.Accepted, res.Duplicates = accepted, dups
	}
	res.Duplicates += localDup

	return h.answer(w, provider, len(raws), res)
}

// answer counts and logs the batch's outcome and writes it: 202, or 400
// when no event was accepted or a duplicate.
func (h *HTTP) answer(w http.ResponseWriter, provider string, events int, res Result) int {
	h.metrics.Accepted(DoorHTTP, res.Accepted)
	h.metrics.Duplicates(DoorHTTP, res.Duplicates)
	for _, rj := range res.Rejected {
		h.metrics.Reject(DoorHTTP, rj.reason)
		h.log.Info("event rejected", "provider", provider, "index", rj.Index, "event_id", rj.EventID, "reason", rj.reason, "error", rj.Error)
	}
	code := http.StatusAccepted
	if res.Accepted == 0 && res.Duplicates == 0 {
		code = http.StatusBadRequest
	}
	h.log.Debug("batch ingested", "provider", provider, "events", events, "accepted", res.Accepted,
		"duplicates", res.Duplicates, "rejected", len(res.Rejected), "code", code)
	httpjson.Write(w, code, res)
	return code
}

// readRequest checks method, content type, size and signature and returns
// the raw body.
func (h *HTTP) readRequest(r *http.Request, now time.Time) ([]byte, *httpError) {
	if r.Method != http.MethodPost {
		return nil, fail(http.StatusMethodNotAllowed, "method %s not allowed, use POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, fail(http.StatusUnsupportedMediaType, "content type %q not supported, use application/json", ct)
		}
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, fail(http.StatusRequestEntityTooLarge, "body of %d bytes exceeds %d", r.ContentLength, MaxBodyBytes)
	}
	body, err := readBody(r.Body, r.ContentLength)
	if err != nil {
		return nil, fail(http.StatusBadRequest, "reading body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, fail(http.StatusRequestEntityTooLarge, "body exceeds %d bytes", MaxBodyBytes)
	}
	if herr := h.authenticate(r.Header, body, now); herr != nil {
		return nil, herr
	}
	return body, nil
}

// authenticate verifies X-Provider-Id, X-Timestamp and X-Signature:
// HMAC-SHA256(secret, "<X-Timestamp>.<raw body>"), compared in constant time.
func (h *HTTP) authenticate(hdr http.Header, body []byte, now time.Time) *httpError {
	provider := hdr.Get(HeaderProviderID)
	if provider == "" {
		return fail(http.StatusUnauthorized, "missing %s", HeaderProviderID)
	}
	secret, ok := h.providers[provider]
	if !ok {
		return fail(http.StatusUnauthorized, "unknown provider %q", provider)
	}
	tsHdr := hdr.Get(HeaderTimestamp)
	if tsHdr == "" {
		return fail(http.StatusUnauthorized, "missing %s", HeaderTimestamp)
	}
	sec, err := strconv.ParseInt(tsHdr, 10, 64)
	if err != nil {
		return fail(http.StatusUnauthorized, "%s %q is not unix seconds", HeaderTimestamp, tsHdr)
	}
	if skew := now.Sub(time.Unix(sec, 0)).Abs(); skew > h.signatureSkew {
		return fail(http.StatusUnauthorized, "%s is %s away from server time (max %s)", HeaderTimestamp, skew.Truncate(time.Second), h.signatureSkew)
	}
	sigHdr := hdr.Get(HeaderSignature)
	if sigHdr == "" {
		return fail(http.StatusUnauthorized, "missing %s", HeaderSignature)
	}
	hexSig, ok := strings.CutPrefix(sigHdr, signaturePrefix)
	if !ok {
		return fail(http.StatusUnauthorized, "%s must be sha256=<hex>", HeaderSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fail(http.StatusUnauthorized, "%s must be sha256=<hex>", HeaderSignature)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(tsHdr))
	mac.Write([]byte{'.'})
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fail(http.StatusUnauthorized, "bad signature")
	}
	return nil
}

// Sign returns the X-Signature value for body sent at ts with secret.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// splitBatch splits a body into its events: one object, or an array of 1..MaxBatch.
func splitBatch(body []byte) ([]json.RawMessage, *httpError) {
	notJSON := func(format string, args ...any) *httpError {
		e := fail(http.StatusBadRequest, format, args...)
		e.notJSON = true
		return e
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, notJSON("empty body")
	}
	switch trimmed[0] {
	case '[':
		raws, herr := splitArray(trimmed)
		if herr != nil {
			return nil, herr
		}
		if len(raws) == 0 {
			return nil, fail(http.StatusBadRequest, "empty batch")
		}
		if len(raws) > MaxBatch {
			return nil, fail(http.StatusBadRequest, "batch of %d events exceeds %d", len(raws), MaxBatch)
		}
		return raws, nil
	case '{':
		if !json.Valid(trimmed) {
			return nil, notJSON("body is not JSON")
		}
		return []json.RawMessage{trimmed}, nil
	default:
		if json.Valid(trimmed) {
			return nil, fail(http.StatusBadRequest, "body must be a JSON object or an array of objects")
		}
		return nil, notJSON("body is not JSON")
	}
}

// check validates one event of a request from provider arriving at arrival.
func (h *HTTP) check(raw []byte, provider string, arrival time.Time) (event.Event, error) {
	ev, err := event.Parse(raw)
	if err != nil {
		return ev, err
	}
	if ev.GameProvider != provider {
		return ev, &event.Invalid{Reason: event.ReasonProviderMismatch, Field: "game.provider",
			Msg: fmt.Sprintf("%q differs from %s %q", ev.GameProvider, HeaderProviderID, provider)}
	}
	if err := event.CheckFuture(&ev, arrival, h.maxFutureSkew); err != nil {
		return ev, err
	}
	return ev, nil
}

func rejection(i int, eventID string, err error) Rejection {
	rj := Rejection{Index: i, EventID: eventID, Error: err.Error(), reason: event.ReasonInvalidField}
	var inv *event.Invalid
	if errors.As(err, &inv) {
		rj.reason = inv.Reason
	}
	return rj
}

// msgSize is an upper bound of what a message takes in the stream (subject,
// headers, payload and the store's per-message overhead, plus room for a
// subject transform).
func msgSize(m *nats.Msg) uint64 {
	n := len(m.Subject) + len(m.Data) + 64 + 16
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return uint64(n)
}

// maxMsgSize is the largest message the connection and the stream take
// (0: no limit known). A stream that cannot be asked is left to publish.
func (h *HTTP) maxMsgSize(ctx context.Context) int {
	limit := int(h.js.Conn().MaxPayload())
	if ms, err := h.gate.maxMsgSize(ctx); err == nil && ms > 0 && (limit <= 0 || ms < limit) {
		limit = ms
	}
	return max(limit, 0)
}
