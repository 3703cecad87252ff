package aggregator

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
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
}

// TestScoreMsgEventTime: the event time travels in the payload (no header
// on a SCORES message); a version-1 payload (written before) decodes with
// its time read from the header, and a republished standing has none.
func TestScoreMsgEventTime(t *testing.T) {
	et := time.Unix(0, 1_700_000_000_123_456_789)
	sm := ScoreMsg{Standing: contest.Standing{Score: 7, MaxMult: 2.5, Rounds: 3, Finish: 9, LastPoints: 4}, SrcSeq: 42, EventTime: et}
	b := sm.encode(nil)
	got, err := decodeScoreMsg(b)
	if err != nil || len(b) != scoreMsgLen {
		t.Fatalf("decode: %v (%d bytes)", err, len(b))
	}
	if got.Standing != sm.Standing || got.SrcSeq != 42 || !got.EventTime.Equal(et) || eventTime(&got, len(b), nil) != got.EventTime {
		t.Fatalf("round trip: got %+v, want %+v", got, sm)
	}
	v1 := b[:scoreMsgLenV1]
	got, err = decodeScoreMsg(v1)
	if err != nil || !got.EventTime.IsZero() || got.SrcSeq != 42 || got.Standing != sm.Standing {
		t.Fatalf("version-1 payload: %+v, %v", got, err)
	}
	h := nats.Header{HeaderEventTime: []string{"1700000000123456789"}}
	if at := eventTime(&got, len(v1), h); !at.Equal(et) {
		t.Fatalf("version-1 event time from the header: %v, want %v", at, et)
	}
	if at := eventTime(&got, len(v1), nil); !at.IsZero() {
		t.Fatalf("version-1 without header: %v", at)
	}
	re, _ := decodeScoreMsg((&ScoreMsg{Standing: sm.Standing}).encode(nil))
	if !re.EventTime.IsZero() {
		t.Fatalf("republished standing has an event time: %v", re.EventTime)
	}
	if _, err := decodeScoreMsg(b[:scoreMsgLenV1+1]); err == nil {
		t.Fatal("a payload of neither size decoded")
	}
}
