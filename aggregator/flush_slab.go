package aggregator

import (
	"unsafe"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// scoreSlab holds the SCORES messages of one flush in three allocations
// (the messages, their subjects and their payloads) instead of three per
// standing. The nats client keeps a published message (and so the slab)
// until its ack arrives; no message is written to after it was handed to
// the client.
type scoreSlab struct {
	msgs []nats.Msg
	data []byte
	// subj holds the subjects; a message's Subject is a string over its
	// bytes. Only ever appended to: bytes before len(subj) are never
	// written again (a growth copies to a new array, the old one stays
	// with the strings on it), so each such string is immutable.
	subj []byte
}

// subjectLen is a guess of a SCORES subject's length, for sizing.
const subjectLen = 48

// make sizes the slab for n standings.
func (s *scoreSlab) make(n int) {
	s.msgs = make([]nats.Msg, 0, n)
	s.data = make([]byte, 0, n*scoreMsgLen)
	s.subj = make([]byte, 0, n*subjectLen)
}

// next is the message of sm on the subject of user's standing on board id
// (groups: the scorer's board groups), its subject and payload encoded
// into the slab.
func (s *scoreSlab) next(groups int, id contest.BoardID, user string, sm *ScoreMsg) *nats.Msg {
	if len(s.msgs) == cap(s.msgs) {
		s.make(max(cap(s.msgs), 1)) // more than sized for: a new slab, the old one stays with its messages
	}
	if groups < 1 {
		groups = 1
	}
	sf := len(s.subj)
	s.subj = streams.AppendScoreSubject(s.subj, groups, GroupOf(id, groups), id.Contest, id.Window, id.Division, user)
	subj := unsafe.String(&s.subj[sf], len(s.subj)-sf)
	from := len(s.data)
	s.data = sm.encode(s.data)
	s.msgs = append(s.msgs, nats.Msg{Subject: subj, Data: s.data[from:len(s.data):len(s.data)]})
	return &s.msgs[len(s.msgs)-1]
}
