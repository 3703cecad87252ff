package aggregator

import "strings"

// ackSeqTime reads the stream sequence and the stream timestamp (Unix ns)
// of a delivered JetStream message from its reply subject, as
// jetstream.Msg.Metadata does (same token positions and checks) but
// without building a MsgMetadata for every message read: the lanes need
// these two fields only. The subject is
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>
//
// or, from newer servers, with <domain>.<account hash> after $JS.ACK and
// one or more tokens after <pending> (at least 11 tokens in all).
func ackSeqTime(reply string) (seq uint64, ts int64, ok bool) {
	f, ok := ackMeta(reply)
	return f.seq, f.ts, ok
}

// ackFields are the fields of an ack reply subject that the lanes and the
// ranker's SCORES reader use.
type ackFields struct {
	seq, consSeq, pending uint64
	ts                    int64
}

// ackMeta reads the stream and consumer sequences, the stream timestamp
// (Unix ns) and the pending count from a delivered message's reply subject
// (forms as for ackSeqTime), the MsgMetadata fields the ranker's reader
// needs, without building one per message.
func ackMeta(reply string) (ackFields, bool) {
	rest, found := strings.CutPrefix(reply, "$JS.ACK.")
	if !found {
		return ackFields{}, false
	}
	n := strings.Count(reply, ".") + 1
	skip := 0 // tokens of rest before <stream>
	switch {
	case n == 9:
	case n >= 11:
		skip = 2
	default:
		return ackFields{}, false
	}
	// rest: [<domain>.<hash>.]<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>[.…]
	var tok [7]string // stream, consumer, delivered, sseq, cseq, tm, pending
	for i := 0; i < skip; i++ {
		_, rest, _ = strings.Cut(rest, ".")
	}
	for i := range tok {
		tok[i], rest, _ = strings.Cut(rest, ".")
	}
	seq, ok1 := ackNum(tok[3])
	t, ok2 := ackNum(tok[5])
	if !ok1 || !ok2 {
		return ackFields{}, false
	}
	cseq, _ := ackNum(tok[4])
	pending, _ := ackNum(tok[6])
	return ackFields{seq: seq, consSeq: cseq, pending: pending, ts: int64(t)}, true
}

// ackNum parses a decimal token of an ack subject.
func ackNum(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// AckSeqs is ackMeta for readers outside the package (replay's pull read):
// the stream and consumer sequences and the stream timestamp (Unix ns) of
// a delivered message's reply subject; not ok unless all three parse.
func AckSeqs(reply string) (seq, consSeq uint64, ts int64, ok bool) {
	f, ok := ackMeta(reply)
	if !ok || f.consSeq == 0 {
		return 0, 0, 0, false
	}
	return f.seq, f.consSeq, f.ts, true
}
