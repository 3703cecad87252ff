package snapshotter

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"

	"github.com/rankstream/rankstream/aggregator"
)

// The canonical encodings (docs/snapshots.md). All integers big-endian;
// a string is its length as uint16 then its bytes.
//
// Standings hash: sha256 over the rows in position order, each
//
//	pos uint32 | user string | score int64 | max_mult float64 bits uint64 |
//	rounds int64 | finish int64
//
// Snapshot hash: sha256 over
//
//	"rankstream.snapshot.v1" | contest string | division string |
//	window_start unix s int64 | window_end unix s int64 | board_seq uint32 |
//	kind string | rule_version uint32 | events_seq uint64 | scores_seq uint64 |
//	entries uint32 | taken_at unix µs int64 | standings_hash [32] |
//	0x00, or 0x01 and prev_hash [32]

const hashDomain = "rankstream.snapshot.v1"

// rowHasher accumulates the standings hash row by row.
type rowHasher struct {
	h   hash.Hash
	buf []byte
	n   int
}

func newRowHasher() *rowHasher { return &rowHasher{h: sha256.New(), buf: make([]byte, 0, 256)} }

func (rh *rowHasher) add(r *aggregator.Row) {
	b := rh.buf[:0]
	b = binary.BigEndian.AppendUint32(b, uint32(r.Pos))
	b = appendString(b, r.User)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Standing.Score))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.Standing.MaxMult))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Standing.Rounds))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Standing.Finish))
	rh.h.Write(b)
	rh.buf = b
	rh.n++
}

func (rh *rowHasher) sum() [32]byte {
	var out [32]byte
	rh.h.Sum(out[:0])
	return out
}

// StandingsHash is the sha256 of rows in the canonical encoding.
func StandingsHash(rows []aggregator.Row) [32]byte {
	rh := newRowHasher()
	for i := range rows {
		rh.add(&rows[i])
	}
	return rh.sum()
}

// SnapshotHash is the hash of a header: it covers every field but ID and
// Hash, the standings hash and the previous snapshot's hash.
func SnapshotHash(h *Header) [32]byte {
	b := make([]byte, 0, 256)
	b = appendString(b, hashDomain)
	b = appendString(b, h.Board.Contest)
	b = appendString(b, h.Board.Division)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Board.Window))
	b = binary.BigEndian.AppendUint64(b, uint64(h.WindowEnd.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(h.BoardSeq))
	b = appendString(b, h.Kind)
	b = binary.BigEndian.AppendUint32(b, uint32(h.RuleVersion))
	b = binary.BigEndian.AppendUint64(b, h.EventsSeq)
	b = binary.BigEndian.AppendUint64(b, h.ScoresSeq)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Entries))
	b = binary.BigEndian.AppendUint64(b, uint64(h.TakenAt.UnixMicro()))
	b = append(b, h.StandingsHash[:]...)
	if h.PrevHash == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = append(b, h.PrevHash...)
	}
	if len(h.EventsCut) > 0 { // absent from snapshots without a cut: their hash is unchanged
		b = binary.BigEndian.AppendUint32(b, uint32(len(h.EventsCut)))
		for _, v := range h.EventsCut {
			b = binary.BigEndian.AppendUint64(b, v)
		}
	}
	return sha256.Sum256(b)
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}
