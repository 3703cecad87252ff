package aggregator

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/testkit"
)

// TestAckSeqTimeMatchesMetadata: for messages a real server delivers
// (an ordered consumer, as the lanes read), ackSeqTime gives the stream
// sequence and timestamp Metadata gives.
func TestAckSeqTimeMatchesMetadata(t *testing.T) {
	_, _, js := testkit.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ACKS", Subjects: []string{"acks.>"}}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := 0; i < n; i++ {
		if _, err := js.Publish(ctx, "acks.x", []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := js.OrderedConsumer(ctx, "ACKS", jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: 7})
	if err != nil {
		t.Fatal(err)
	}
	it, err := cons.Messages()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Stop()
	for want := uint64(7); want <= n; want++ {
		msg, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		seq, ts, ok := ackSeqTime(msg.Reply())
		if !ok || seq != meta.Sequence.Stream || ts != meta.Timestamp.UnixNano() || seq != want {
			t.Fatalf("%s: ackSeqTime %d %d %v, Metadata %d %d, want seq %d", msg.Reply(), seq, ts, ok,
				meta.Sequence.Stream, meta.Timestamp.UnixNano(), want)
		}
		// the ranker's reader: every field it takes from Metadata
		f, ok := ackMeta(msg.Reply())
		if !ok || f.seq != meta.Sequence.Stream || f.consSeq != meta.Sequence.Consumer ||
			f.pending != meta.NumPending || f.ts != meta.Timestamp.UnixNano() {
			t.Fatalf("%s: ackMeta %+v %v, Metadata %+v", msg.Reply(), f, ok, meta)
		}
	}
}

func TestAckSeqTimeForms(t *testing.T) {
	cases := []struct {
		reply  string
		seq    uint64
		ts     int64
		wantOK bool
	}{
		{"$JS.ACK.EVENTS.c1.1.42.40.1700000000123456789.3", 42, 1700000000123456789, true},
		{"$JS.ACK._.ACCHASH.EVENTS.c1.1.42.40.1700000000123456789.3.rnd", 42, 1700000000123456789, true},
		{"$JS.ACK.hub.ACCHASH.EVENTS.c1.1.42.40.1700000000123456789.3", 42, 1700000000123456789, true},
		{"$JS.ACK.hub.ACCHASH.EVENTS.c1.1.42.40.1700000000123456789.3.rnd.more", 42, 1700000000123456789, true},
		{"$JS.ACK.EVENTS.c1.1.42.40.17000.3.x", 0, 0, false}, // 10 tokens: neither form
		{"$JS.ACK.EVENTS.c1.1.42.40.17000", 0, 0, false},
		{"$JS.ACK.EVENTS.c1.1.4x.40.17000.3", 0, 0, false},
		{"$JS.ACK.EVENTS.c1.1..40.17000.3", 0, 0, false},
		{"_INBOX.a.b.c.d.e.f.g.h", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, c := range cases {
		seq, ts, ok := ackSeqTime(c.reply)
		if ok != c.wantOK || seq != c.seq || ts != c.ts {
			t.Errorf("%q: %d %d %v, want %d %d %v", c.reply, seq, ts, ok, c.seq, c.ts, c.wantOK)
		}
		f, ok := ackMeta(c.reply)
		if want := (ackFields{seq: 42, consSeq: 40, pending: 3, ts: 1700000000123456789}); c.wantOK && (!ok || f != want) {
			t.Errorf("%q: ackMeta %+v %v, want %+v", c.reply, f, ok, want)
		} else if !c.wantOK && ok {
			t.Errorf("%q: ackMeta ok, want refused", c.reply)
		}
	}
}

func BenchmarkAckSeqTime(b *testing.B) {
	const reply = "$JS.ACK._.ACCHASH.EVENTS.c1.1.1234567.1234560.1700000000123456789.3.rnd"
	for i := 0; i < b.N; i++ {
		if _, _, ok := ackSeqTime(reply); !ok {
			b.Fatal("not parsed")
		}
	}
}
