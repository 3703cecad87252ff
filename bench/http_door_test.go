package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rankstream/rankstream/loadgen"
	"github.com/rankstream/rankstream/readmodel"
)

// httpBatchSize is the events per webhook request of the HTTP door's phase.
const httpBatchSize = 500

// httpSenders is how many requests the HTTP door's phase has in flight, as
// loadgen's HTTP door.
const httpSenders = 4

// signedBatch is one webhook request of provider acme, made and signed
// before the phase (CONTRACT §2): a JSON array of events, X-Timestamp and
// X-Signature.
type signedBatch struct {
	body    []byte
	ts, sig string
	n       int
}

// signBatches makes the requests of msgs, size events each, signed at now.
// The phase must end within the door's signature skew (5 min) of now.
func signBatches(msgs []msg, size int, now time.Time) []signedBatch {
	ts := strconv.FormatInt(now.Unix(), 10)
	var out []signedBatch
	for i := 0; i < len(msgs); i += size {
		part := msgs[i:min(i+size, len(msgs))]
		body := []byte{'['}
		for j, m := range part {
			if j > 0 {
				body = append(body, ',')
			}
			body = append(body, m.body...)
		}
		body = append(body, ']')
		out = append(out, signedBatch{body: body, ts: ts, sig: loadgen.Sign(benchSecret, ts, body), n: len(part)})
	}
	return out
}

// httpDoor posts the signed batches (n events, msgs's) to the HTTP door of
// a fresh pipeline and returns events/s until the read model holds every
// user's final score (want).
func httpDoor(ctx context.Context, b *testing.B, batches []signedBatch, n int, want map[string]int64) float64 {
	p := startApp(ctx, b)
	defer p.cleanup()
	v := &visibleWaiter{a: p.a, rd: readmodel.NewReader(p.rdb, p.prefix), want: want, events: uint64(n)}
	start := time.Now()
	if err := postBatches(ctx, "http://"+p.a.Addr()+"/v1/events", batches); err != nil {
		b.Fatal(err) // every event must be stored for the final board to be want
	}
	_, visible, err := v.wait(ctx, start)
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / visible.Seconds()
}

// postBatches posts every batch, httpSenders at a time, and fails unless
// each is answered 202 with all of its events accepted or duplicates.
func postBatches(ctx context.Context, url string, batches []signedBatch) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: httpSenders}}
	defer client.CloseIdleConnections()
	jobs := make(chan signedBatch)
	errs := make(chan error, httpSenders)
	var wg sync.WaitGroup
	for range httpSenders {
		wg.Go(func() {
			for sb := range jobs {
				if err := postBatch(ctx, client, url, sb); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for _, sb := range batches {
		select {
		case jobs <- sb:
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	go func() { wg.Wait(); close(errs) }()
	if err != nil {
		for range errs { // the other senders stop after their request
		}
		return err
	}
	return <-errs // nil once every sender is done
}

// postBatch sends one signed request and checks its answer.
func postBatch(ctx context.Context, client *http.Client, url string, sb signedBatch) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(sb.body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Provider-Id", "acme")
	req.Header.Set("X-Timestamp", sb.ts)
	req.Header.Set("X-Signature", sb.sig)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	var res struct{ Accepted, Duplicates int }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(answer, &res) != nil || res.Accepted+res.Duplicates != sb.n {
		return fmt.Errorf("batch of %d events answered %d %s", sb.n, resp.StatusCode, answer)
	}
	return nil
}
