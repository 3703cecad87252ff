package loadgen

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

// testNow is a fixed event clock so generated events are reproducible.
var testNow = time.Date(2025, 10, 25, 18, 30, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// startJS starts an embedded nats-server with JetStream and the EVENTS stream
// (events.*.*, duplicate window 2m) and returns a JetStream context on it.
func startJS(t *testing.T) (jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	_, _, js := testkit.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:       "EVENTS",
		Subjects:   []string{"events.*.*"},
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	return js, stream
}

// streamMsgs polls the stream's message count until it equals want or the
// deadline passes, and returns the last count seen.
func streamMsgs(t *testing.T, stream jetstream.Stream, want uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := stream.Info(context.Background())
		if err != nil {
			t.Fatalf("stream info: %v", err)
		}
		if info.State.Msgs == want || time.Now().After(deadline) {
			return info.State.Msgs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// uniqueIDs runs a generator with opts for n events and returns the number of
// distinct message ids and of events flagged invalid.
func uniqueIDs(t *testing.T, opts Options, n int) (unique, invalid int) {
	t.Helper()
	g := NewGenerator(opts)
	seen := make(map[string]bool, n)
	for range n {
		_, id, _, valid := g.Next()
		if !seen[id] {
			seen[id] = true
			if !valid {
				invalid++
			}
		}
	}
	return len(seen), invalid
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// decode unmarshals one generated body into a generic map.
func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return m
}
