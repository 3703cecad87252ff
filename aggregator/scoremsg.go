package aggregator

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/streams"
)

// scoreMsgLen is the size of an encoded standing on the SCORES stream: the
// flags, five standing fields, SrcSeq and EventTime. Standings written
// before EventTime moved into the payload are scoreMsgLenV1 bytes long and
// carry it in the HeaderEventTime header: a message without headers costs
// the publisher, the server and the ranker's client less (no header to
// encode, scan and decode per standing).
const (
	scoreMsgLen   = scoreMsgLenV1 + 8
	scoreMsgLenV1 = 1 + 8*6
)

const flagRemoved = 1

// ScoreMsg is the payload of a SCORES message: the absolute standing of one
// user on one board (the board and user are in the subject).
type ScoreMsg struct {
	Standing contest.Standing
	Removed  bool
	// SrcSeq is the EVENTS stream sequence of the event that produced it.
	SrcSeq uint64
	// EventTime is that event's stream timestamp (Unix ns in the payload;
	// in the HeaderEventTime header of older messages); zero for a
	// republished standing.
	EventTime time.Time
}

// errBadScoreMsg is returned for a payload that is not an encoded standing.
var errBadScoreMsg = errors.New("aggregator: malformed score message")

func (m *ScoreMsg) encode(dst []byte) []byte {
	var flags byte
	if m.Removed {
		flags |= flagRemoved
	}
	dst = append(dst, flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Standing.Score))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(m.Standing.MaxMult))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Standing.Rounds))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Standing.Finish))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Standing.LastPoints))
	dst = binary.BigEndian.AppendUint64(dst, m.SrcSeq)
	var et int64
	if !m.EventTime.IsZero() {
		et = m.EventTime.UnixNano()
	}
	return binary.BigEndian.AppendUint64(dst, uint64(et))
}

// decodeScoreMsg decodes both payload versions; EventTime stays zero for a
// version-1 payload (its header has it: eventTime).
func decodeScoreMsg(b []byte) (ScoreMsg, error) {
	if len(b) != scoreMsgLen && len(b) != scoreMsgLenV1 {
		return ScoreMsg{}, errBadScoreMsg
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(b[1+8*i:]) }
	var et time.Time
	if len(b) == scoreMsgLen {
		if ns := int64(u(6)); ns != 0 {
			et = time.Unix(0, ns)
		}
	}
	return ScoreMsg{
		Removed: b[0]&flagRemoved != 0,
		Standing: contest.Standing{
			Score:      int64(u(0)),
			MaxMult:    math.Float64frombits(u(1)),
			Rounds:     int64(u(2)),
			Finish:     int64(u(3)),
			LastPoints: int64(u(4)),
		},
		SrcSeq:    u(5),
		EventTime: et,
	}, nil
}

// scoreSubject is the SCORES subject of user's standing on board id, with
// id's group among groups in it (streams/scores.go: rankers filter on it).
func scoreSubject(groups int, id contest.BoardID, user string) string {
	if groups < 1 {
		groups = 1
	}
	return streams.ScoreSubject(groups, GroupOf(id, groups), id.Contest, id.Window, id.Division, user)
}

// scoreSubject is the subject of a standing this scorer publishes.
func (s *Scorer) scoreSubject(id contest.BoardID, user string) string {
	return scoreSubject(s.opts.BoardGroups, id, user)
}
