package aggregator

import (
	"testing"
	"time"
)

func TestTraceIDAndLagHelpers(t *testing.T) {
	if got := traceID([]byte(`{"event_id":"e1","trace_id":"tr-42"}`)); got != "tr-42" {
		t.Errorf("traceID = %q, want tr-42", got)
	}
	if got := traceID([]byte(`not json`)); got != "" {
		t.Errorf("traceID of garbage = %q, want empty", got)
	}
	if got := lagSeconds(0, time.Now().Add(-time.Hour)); got != 0 {
		t.Errorf("lagSeconds with nothing pending = %v, want 0", got)
	}
	if got := lagSeconds(5, time.Now().Add(-3*time.Second)); got < 3 || got > 10 {
		t.Errorf("lagSeconds 3s behind = %v", got)
	}
	et := time.Unix(0, 1_700_000_000_123_456_789)
	m := scoreMsg("scores.x", []byte{1}, et)
	if v := m.Header.Get(HeaderEventTime); v != "1700000000123456789" {
		t.Errorf("header = %q", v)
	}
	if m := scoreMsg("scores.x", nil, time.Time{}); m.Header != nil {
		t.Errorf("republished standing got a header: %v", m.Header)
	}
}
