package ingest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rankstream/rankstream/internal/testkit"
)

// BenchmarkServe posts batches of 500 new events (the pipeline benchmark's
// batch) to the handler itself, no HTTP transport: read, signature, split,
// validation, the messages, publish and acks, the answer. allocs/op is per
// batch; cpu_us/ev is the process's CPU per event, the embedded server's
// storing included.
func BenchmarkServe(b *testing.B) {
	cfg := eventsStream(nil)
	e := newEnv(b, &cfg)
	const batch = 500
	ts := testNow.Unix()
	bodies := make([][]byte, 0, 64)
	for k := range cap(bodies) {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for j := range batch {
			if j > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"event_id":"e%d-%d","ts":"2025-10-25T18:29:00Z","type":"round_end","user_id":"u%d","game":{"id":"g","provider":"acme"},"bet":{"amount_minor":100,"currency":"EUR"},"win":{"amount_minor":250}}`, k, j, j%200)
		}
		buf.WriteByte(']')
		bodies = append(bodies, buf.Bytes())
	}
	b.ReportAllocs()
	c0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := bodies[i%len(bodies)] // beyond len(bodies): duplicates, answered as such
		r := httptest.NewRequest(http.MethodPost, "/v1/events", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(HeaderProviderID, testProvider)
		r.Header.Set(HeaderTimestamp, fmt.Sprint(ts))
		r.Header.Set(HeaderSignature, testkit.Sign(testSecret, ts, body))
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			b.Fatalf("answer %d %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/1e3/float64(b.N*batch), "cpu_us/ev")
}
