package aggregator

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// The RANKS feed's message encoding. The feed is internal (ranker →
// notifiers, no external subject: CONTRACT.md §5 names only lb.* subjects),
// so it is a compact binary form instead of JSON: at 10k watched users a
// tick carries ≈ 10k ranks, and encoding/json (map keys sorted, reflection,
// a pointer per gap on decode) cost the ranker and every notifier more
// than the rest of the feed. A message is
//
//	0x01 (feedCodecV1; a JSON message starts with '{')
//	str contest, varint window, str division, byte flags (1: Full),
//	uvarint total, varint event time (unix ns; flag 2 when set), str order,
//	uvarint len(top)     × rank,
//	uvarint len(changed) × (str user, byte removed, varint score,
//	                        8 bytes max multiplier (IEEE 754), varint rounds,
//	                        varint finish, varint last points),
//	uvarint len(ranks)   × rank
//
// with rank = str user, uvarint pos, varint score, byte has-gap,
// [varint gap], varint points, and str = uvarint length + bytes. It carries
// what feedMessages keeps of a delta (not NWords, ExpireAt, the sort keys
// or RanksOnly, which the JSON form did not carry either). The follower
// still reads JSON messages (a ranker of an older version during a rolling
// upgrade).
const feedCodecV1 = 0x01

const (
	feedFull      = 1
	feedEventTime = 2
)

// errFeedMsg is returned for a message the codec cannot read.
var errFeedMsg = errors.New("aggregator: bad ranks message")

// appendFeedMsg appends the encoding of m to buf.
func appendFeedMsg(buf []byte, m *BoardDelta) []byte {
	buf = append(buf, feedCodecV1)
	buf = appendStr(buf, m.ID.Contest)
	buf = binary.AppendVarint(buf, m.ID.Window)
	buf = appendStr(buf, m.ID.Division)
	var flags byte
	if m.Full {
		flags |= feedFull
	}
	if !m.EventTime.IsZero() {
		flags |= feedEventTime
	}
	buf = append(buf, flags)
	buf = binary.AppendUvarint(buf, uint64(max(m.Total, 0)))
	if flags&feedEventTime != 0 {
		buf = binary.AppendVarint(buf, m.EventTime.UnixNano())
	}
	buf = appendStr(buf, m.Order)
	buf = binary.AppendUvarint(buf, uint64(len(m.Top)))
	for i := range m.Top {
		buf = appendRank(buf, m.Top[i].User, &m.Top[i])
	}
	buf = binary.AppendUvarint(buf, uint64(len(m.Changed)))
	for i := range m.Changed {
		u := &m.Changed[i]
		buf = appendStr(buf, u.User)
		buf = append(buf, boolByte(u.Removed))
		st := &u.Standing
		buf = binary.AppendVarint(buf, st.Score)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(st.MaxMult))
		buf = binary.AppendVarint(buf, st.Rounds)
		buf = binary.AppendVarint(buf, st.Finish)
		buf = binary.AppendVarint(buf, st.LastPoints)
	}
	buf = binary.AppendUvarint(buf, uint64(len(m.Ranks)))
	for u, rk := range m.Ranks {
		buf = appendRank(buf, u, &rk)
	}
	return buf
}

func appendRank(buf []byte, user string, rk *Rank) []byte {
	buf = appendStr(buf, user)
	buf = binary.AppendUvarint(buf, uint64(max(rk.Pos, 0)))
	buf = binary.AppendVarint(buf, rk.Score)
	if rk.GapToNext != nil {
		buf = append(buf, 1)
		buf = binary.AppendVarint(buf, *rk.GapToNext)
	} else {
		buf = append(buf, 0)
	}
	return binary.AppendVarint(buf, rk.LastPoints)
}

func appendStr(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// decodeFeedMsg reads a RANKS message: the binary form, or JSON.
func decodeFeedMsg(data []byte) (BoardDelta, error) {
	var d BoardDelta
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &d); err != nil {
			return d, fmt.Errorf("%w: %w", errFeedMsg, err)
		}
		return d, nil
	}
	r := feedReader{b: data}
	if r.byte() != feedCodecV1 {
		return d, fmt.Errorf("%w: unknown encoding", errFeedMsg)
	}
	d.ID = contest.BoardID{Contest: r.str(), Window: r.varint(), Division: r.str()}
	flags := r.byte()
	d.Full = flags&feedFull != 0
	d.Total = int(r.count(math.MaxInt32))
	if flags&feedEventTime != 0 {
		d.EventTime = time.Unix(0, r.varint())
	}
	d.Order = r.str()
	if n := r.count(left); n > 0 {
		d.Top = make([]Rank, n)
		gaps := make([]int64, n)
		for i := range d.Top {
			d.Top[i] = r.rank(&gaps[i])
		}
	}
	if n := r.count(left); n > 0 {
		d.Changed = make([]UserDelta, n)
		for i := range d.Changed {
			d.Changed[i] = r.userDelta()
		}
	}
	n := r.count(left)
	d.Ranks = make(map[string]Rank, n)
	gaps := make([]int64, n) // one allocation for every rank's gap
	for i := range n {
		rk := r.rank(&gaps[i])
		d.Ranks[rk.User] = rk
	}
	if r.err != nil {
		return BoardDelta{}, r.err
	}
	if len(r.b) != 0 {
		return BoardDelta{}, fmt.Errorf("%w: %d bytes after the end", errFeedMsg, len(r.b))
	}
	return d, nil
}

// feedReader reads the binary form; after the first error every read
// returns zero values and err stays set.
type feedReader struct {
	b   []byte
	err error
}

func (r *feedReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated at %s", errFeedMsg, what)
	}
	r.b = nil
}

func (r *feedReader) byte() byte {
	if len(r.b) < 1 {
		r.fail("a byte")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *feedReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("a number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *feedReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("a number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// left (a count's limit) is the bytes left after the count: each item
// takes a byte or more, so a count above it is a bad message, not an
// allocation.
const left = -1

// count reads a number of at most limit (or left).
func (r *feedReader) count(limit int) int {
	v := r.uvarint()
	if limit == left {
		limit = len(r.b)
	}
	if v > uint64(limit) {
		r.fail("a count")
		return 0
	}
	return int(v)
}

func (r *feedReader) str() string {
	n := r.count(left)
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// rank reads a rank; its gap, when it has one, goes to *gap.
func (r *feedReader) rank(gap *int64) Rank {
	rk := Rank{User: r.str(), Pos: int(r.count(math.MaxInt32)), Score: r.varint()}
	if r.byte() == 1 {
		*gap = r.varint()
		rk.GapToNext = gap
	}
	rk.LastPoints = r.varint()
	return rk
}

func (r *feedReader) userDelta() UserDelta {
	u := UserDelta{User: r.str(), Removed: r.byte() == 1}
	u.Standing.Score = r.varint()
	if len(r.b) < 8 {
		r.fail("a multiplier")
		return u
	}
	u.Standing.MaxMult = math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	u.Standing.Rounds = r.varint()
	u.Standing.Finish = r.varint()
	u.Standing.LastPoints = r.varint()
	return u
}
