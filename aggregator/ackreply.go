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
	rest, found := strings.CutPrefix(reply, "$JS.ACK.")
	if !found {
		return 0, 0, false
	}
	n := strings.Count(reply, ".") + 1
	skip := 0 // tokens of rest before <stream>
	switch {
	case n == 9:
	case n >= 11:
		skip = 2
	default:
		return 0, 0, false
	}
	// rest: [<domain>.<hash>.]<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.…
	var tok [6]string // stream, consumer, delivered, sseq, cseq, tm
	for i := 0; i < skip; i++ {
		_, rest, _ = strings.Cut(rest, ".")
	}
	for i := range tok {
		tok[i], rest, _ = strings.Cut(rest, ".")
	}
	seq, ok1 := ackNum(tok[3])
	t, ok2 := ackNum(tok[5])
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	return seq, int64(t), true
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
