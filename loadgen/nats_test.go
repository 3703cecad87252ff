package loadgen

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestRunNATSStoresUniqueEvents(t *testing.T) {
	js, stream := startJS(t)
	opts := Options{Count: 2000, Seed: 5, Now: fixedNow, DuplicateRate: 0.05, InvalidRate: 0.02, JS: js}
	unique, _ := uniqueIDs(t, opts, opts.Count)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Run(ctx, opts, testLogger(t))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Sent != 2000 || st.Acked != 2000 || st.Errors != 0 {
		t.Errorf("stats %+v: want 2000 sent and acked, no errors", st)
	}
	if want := int64(2000 - unique); st.Duplicates != want || want == 0 {
		t.Errorf("duplicates acked %d, want %d (> 0)", st.Duplicates, want)
	}
	if got := streamMsgs(t, stream, uint64(unique)); got != uint64(unique) {
		t.Errorf("stream holds %d messages, want %d unique events", got, unique)
	}
	if st.LastAck.IsZero() || st.Elapsed <= 0 {
		t.Errorf("LastAck %v, Elapsed %v: want both set", st.LastAck, st.Elapsed)
	}

	// The first stored message: subject and Nats-Msg-Id match the event.
	msg, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatalf("get msg 1: %v", err)
	}
	var ev struct {
		EventID string `json:"event_id"`
		UserID  string `json:"user_id"`
	}
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		t.Fatalf("stored body: %v", err)
	}
	if got := msg.Header.Get(jetstream.MsgIDHeader); got != ev.EventID || ev.EventID != "lg-5-0" {
		t.Errorf("Nats-Msg-Id %q, event_id %q, want lg-5-0 for both", got, ev.EventID)
	}
	if want := "events.acme." + ev.UserID; msg.Subject != want {
		t.Errorf("subject %q, want %q", msg.Subject, want)
	}
}

// pendingProbe records the most publishes the JetStream context had waiting
// for an ack when loadgen published another one.
type pendingProbe struct {
	jetstream.JetStream
	maxPending atomic.Int64
}

func (p *pendingProbe) PublishAsync(subj string, data []byte, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	if n := int64(p.PublishAsyncPending()); n > p.maxPending.Load() {
		p.maxPending.Store(n) // only the send loop publishes: no race on the max
	}
	return p.JetStream.PublishAsync(subj, data, opts...)
}

func TestRunNATSBoundsInFlight(t *testing.T) {
	js, stream := startJS(t)
	probe := &pendingProbe{JetStream: js}
	const maxInFlight = 8
	opts := Options{Count: 3000, Seed: 9, Now: fixedNow, DuplicateRate: -1, JS: probe, MaxInFlight: maxInFlight}
	st, err := Run(context.Background(), opts, testLogger(t))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Acked != 3000 || st.Errors != 0 {
		t.Fatalf("stats %+v: want 3000 acked", st)
	}
	if got := probe.maxPending.Load(); got >= maxInFlight {
		t.Errorf("%d publishes pending before a publish, want < MaxInFlight %d", got, maxInFlight)
	}
	if got := streamMsgs(t, stream, 3000); got != 3000 {
		t.Errorf("stream holds %d, want 3000", got)
	}
}

func TestRunRateAccuracy(t *testing.T) {
	js, stream := startJS(t)
	opts := Options{Rate: 2000, Duration: time.Second, Seed: 11, Now: fixedNow, DuplicateRate: -1, JS: js}
	st, err := Run(context.Background(), opts, testLogger(t))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Sent < 1800 || st.Sent > 2200 {
		t.Errorf("sent %d at 2000/s for 1s, want 2000±10%%", st.Sent)
	}
	if st.Acked != st.Sent || st.Errors != 0 {
		t.Errorf("stats %+v: want every event acked", st)
	}
	if got := streamMsgs(t, stream, uint64(st.Sent)); got != uint64(st.Sent) {
		t.Errorf("stream holds %d, want %d", got, st.Sent)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	js, _ := startJS(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	done := make(chan struct{})
	var st Stats
	var err error
	go func() {
		defer close(done)
		st, err = Run(ctx, Options{Rate: 1000, Seed: 2, JS: js}, testLogger(t))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
	if err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if st.Sent == 0 || st.Sent > 1000 {
		t.Errorf("sent %d in ~0.3s at 1000/s", st.Sent)
	}
	if st.Acked != st.Sent || st.Errors != 0 {
		t.Errorf("stats %+v: in-flight publishes must be acked before Run returns", st)
	}
}

func TestRunNATSCountsMissingStreamAsErrors(t *testing.T) {
	js, _ := startJS(t)
	if err := js.DeleteStream(context.Background(), "EVENTS"); err != nil {
		t.Fatalf("delete stream: %v", err)
	}
	// No stream takes the subjects: every publish ends in an error, none hangs.
	opts := Options{Count: 50, Seed: 1, JS: js, AckTimeout: 5 * time.Second}
	st, err := Run(context.Background(), opts, testLogger(t))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Sent != 50 || st.Errors != 50 || st.Acked != 0 {
		t.Errorf("stats %+v: want 50 sent, 50 errors, 0 acked", st)
	}
}
