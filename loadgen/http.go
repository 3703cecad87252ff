package loadgen

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// httpWorkers is how many batches are posted concurrently.
	httpWorkers = 4
	// maxBodyBytes keeps a batch under the webhook's 1 MiB limit.
	maxBodyBytes = 1<<20 - 4<<10
	// flushAfter is the longest a partial batch waits for more events.
	flushAfter = 100 * time.Millisecond
	// maxRetries is how often a batch answered 503/429 is tried again.
	maxRetries = 5
	// maxAnswerBytes bounds how much of an answer is read.
	maxAnswerBytes = 1 << 20
)

// httpDoor posts signed batches, one batch per provider at a time being
// filled, with up to httpWorkers requests in flight.
type httpDoor struct {
	url       string
	client    *http.Client
	secrets   map[string]string
	batchSize int
	runCtx    context.Context // ends retries; requests in flight still complete
	bufs      map[string]*batch
	jobs      chan *batch
	wg        sync.WaitGroup
	c         *counters
	log       *slog.Logger
	errs      errLogger
}

type batch struct {
	provider string
	body     []byte
	n        int
	started  time.Time
}

// webhookAnswer is the body of 202 and 400 answers (CONTRACT §2).
type webhookAnswer struct {
	Accepted   int64 `json:"accepted"`
	Duplicates int64 `json:"duplicates"`
	Rejected   []struct {
		Index   int    `json:"index"`
		EventID string `json:"event_id"`
		Error   string `json:"error"`
	} `json:"rejected"`
}

func newHTTPDoor(ctx context.Context, o Options, c *counters, logger *slog.Logger) (*httpDoor, error) {
	base, err := url.Parse(o.HTTPURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%w: HTTP URL %q: want http(s)://host[:port][/prefix]", ErrInvalidOptions, o.HTTPURL)
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	d := &httpDoor{
		url:       strings.TrimSuffix(o.HTTPURL, "/") + "/v1/events",
		client:    client,
		secrets:   o.Secrets,
		batchSize: o.BatchSize,
		runCtx:    ctx,
		bufs:      make(map[string]*batch),
		jobs:      make(chan *batch, httpWorkers),
		c:         c,
		log:       logger,
		errs:      errLogger{log: logger},
	}
	for range httpWorkers {
		d.wg.Go(d.work)
	}
	return d, nil
}

func (d *httpDoor) send(ctx context.Context, it item) error {
	b := d.bufs[it.provider]
	if b != nil && len(b.body)+len(it.body)+2 > maxBodyBytes {
		if err := d.dispatch(ctx, b); err != nil {
			return err
		}
		b = nil
	}
	if b == nil {
		b = &batch{provider: it.provider, body: make([]byte, 0, 512*d.batchSize), started: time.Now()}
		b.body = append(b.body, '[')
		d.bufs[it.provider] = b
	} else {
		b.body = append(b.body, ',')
	}
	b.body = append(b.body, it.body...)
	b.n++
	if b.n >= d.batchSize {
		return d.dispatch(ctx, b)
	}
	return nil
}

// tick posts partial batches that waited long enough.
func (d *httpDoor) tick(ctx context.Context, now time.Time) error {
	for _, b := range d.bufs {
		if now.Sub(b.started) >= flushAfter {
			if err := d.dispatch(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// close posts the partial batches unless ctx is done (then they are dropped,
// never counted as sent), and waits for the requests in flight.
func (d *httpDoor) close(ctx context.Context) {
	for _, b := range d.bufs {
		if ctx.Err() != nil || d.dispatch(ctx, b) != nil {
			break
		}
	}
	close(d.jobs)
	d.wg.Wait()
}

func (d *httpDoor) dispatch(ctx context.Context, b *batch) error {
	delete(d.bufs, b.provider)
	b.body = append(b.body, ']')
	select {
	case d.jobs <- b:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue batch: %w", ctx.Err())
	}
}

func (d *httpDoor) work() {
	for b := range d.jobs {
		d.post(b)
	}
}

// post sends one batch, retrying while the webhook answers 503 or 429, and
// counts the outcome.
func (d *httpDoor) post(b *batch) {
	d.c.sent.Add(int64(b.n))
	for attempt := 0; ; attempt++ {
		status, answer, retryAfter, err := d.do(b)
		if err != nil {
			d.c.errors.Add(int64(b.n))
			d.errs.error("post batch failed", "provider", b.provider, "events", b.n, "err", err)
			return
		}
		switch {
		case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
			if attempt < maxRetries && d.sleep(retryAfter) {
				continue
			}
			d.c.errors.Add(int64(b.n))
			d.errs.error("webhook unavailable, batch dropped", "provider", b.provider, "events", b.n, "status", status, "attempts", attempt+1)
		case status == http.StatusAccepted || status == http.StatusOK || status == http.StatusBadRequest:
			var a webhookAnswer
			if err := json.Unmarshal(answer, &a); err != nil {
				d.c.errors.Add(int64(b.n))
				d.errs.error("webhook answer unreadable", "status", status, "err", err, "body", snippet(answer))
				return
			}
			d.count(b, a)
		default:
			d.c.errors.Add(int64(b.n))
			d.errs.error("webhook refused batch", "provider", b.provider, "events", b.n, "status", status, "body", snippet(answer))
		}
		return
	}
}

// count adds one answer to the counters. Whether "accepted" includes the
// duplicates or not, accepted+duplicates+rejected is at least the batch size
// when every event is accounted for; any shortfall is counted as errors.
func (d *httpDoor) count(b *batch, a webhookAnswer) {
	rejected := int64(len(a.Rejected))
	d.c.acked.Add(a.Accepted)
	d.c.duplicates.Add(a.Duplicates)
	d.c.rejected.Add(rejected)
	if missing := int64(b.n) - a.Accepted - a.Duplicates - rejected; missing > 0 {
		d.c.errors.Add(missing)
	}
	if a.Accepted > 0 {
		d.c.ackedAt(time.Now())
	}
	for i, r := range a.Rejected {
		if i >= 3 { // a few examples are enough
			break
		}
		d.log.Debug("event rejected", "index", r.Index, "event_id", r.EventID, "error", r.Error)
	}
}

// do performs one signed POST and returns the status, the answer body and the
// Retry-After delay.
func (d *httpDoor) do(b *batch) (int, []byte, time.Duration, error) {
	// Requests in flight finish after ctx ends; the client timeout bounds them.
	req, err := http.NewRequestWithContext(context.WithoutCancel(d.runCtx), http.MethodPost, d.url, bytes.NewReader(b.body))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("build request: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Provider-Id", b.provider)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Signature", Sign(d.secrets[b.provider], ts, b.body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("post %s: %w", d.url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("read answer of %s: %w", d.url, err)
	}
	return resp.StatusCode, answer, retryAfter(resp.Header.Get("Retry-After")), nil
}

// Sign returns the X-Signature header value of CONTRACT §2:
// "sha256=" + hex(HMAC-SHA256(secret, "<timestamp>.<body>")).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// retryAfter reads a Retry-After in seconds; default 1s, at most 30s.
func retryAfter(v string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || s < 0 {
		return time.Second
	}
	return min(time.Duration(s)*time.Second, 30*time.Second)
}

// sleep waits d unless the run ends first; it reports whether it waited.
func (d *httpDoor) sleep(wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-d.runCtx.Done():
		return false
	}
}

func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
