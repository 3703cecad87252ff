package aggregator

import "github.com/nats-io/nats.go"

// scoreSlab holds the SCORES messages of one flush in two allocations (the
// messages and their payloads) instead of two per standing. The nats client
// keeps a published message (and so the slab) until its ack arrives; no
// message is written to after it was handed to the client.
type scoreSlab struct {
	msgs []nats.Msg
	data []byte
}

// make sizes the slab for n standings.
func (s *scoreSlab) make(n int) {
	s.msgs = make([]nats.Msg, 0, n)
	s.data = make([]byte, 0, n*scoreMsgLen)
}

// next is the message of sm on subj, its payload encoded into the slab.
func (s *scoreSlab) next(subj string, sm *ScoreMsg) *nats.Msg {
	if len(s.msgs) == cap(s.msgs) {
		s.make(max(cap(s.msgs), 1)) // more than sized for: a new slab, the old one stays with its messages
	}
	from := len(s.data)
	s.data = sm.encode(s.data)
	s.msgs = append(s.msgs, nats.Msg{Subject: subj, Data: s.data[from:len(s.data):len(s.data)]})
	return &s.msgs[len(s.msgs)-1]
}
