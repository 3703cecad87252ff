package contest

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/rankstream/rankstream/internal/varint"
)

// AppendBinary appends u's state to b: the folded summary (mission_fold.go),
// the candidate events in event-time order and which completions were
// reported. As for UserWindow only inputs are stored; the decoder re-adds
// the candidates in event-time order.
func (u *UserMission) AppendBinary(b []byte) []byte {
	b = u.appendFold(b)
	b = binary.AppendUvarint(b, uint64(len(u.events)))
	for i := range u.events {
		e := &u.events[i]
		b = binary.AppendVarint(b, e.TS)
		b = varint.AppendStr(b, e.EventID)
		b = binary.AppendVarint(b, e.Arrived)
		b = binary.AppendVarint(b, e.Bet)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.Multiplier))
		b = varint.AppendStr(b, e.Game)
		b = binary.AppendUvarint(b, e.Scope)
	}
	b = binary.AppendUvarint(b, u.emitted)
	done := uint64(0)
	if u.emittedDone {
		done = 1
	}
	b = binary.AppendUvarint(b, done)
	for _, at := range u.emittedAt {
		b = binary.AppendVarint(b, at)
	}
	return b
}

// UnmarshalUserMission rebuilds a UserMission of m from data written by
// AppendBinary and returns it with the bytes that follow it; folded false
// reads the layout before folding (no summary in front). Completions
// already reported stay reported: nothing is reported again.
func UnmarshalUserMission(m *Mission, data []byte, folded bool) (*UserMission, []byte, error) {
	r := varint.Reader{B: data}
	u := NewUserMission(m)
	if folded {
		if err := u.readFold(&r); err != nil {
			return nil, nil, err
		}
	}
	n := r.Uvarint()
	if r.Err != nil || n > uint64(len(data)) {
		return nil, nil, fmt.Errorf("%w: mission candidate count", ErrBadState)
	}
	u.events = make([]MissionCand, 0, n)
	for i := uint64(0); i < n; i++ {
		var c MissionCand
		c.TS = r.Varint()
		c.EventID = r.Str()
		c.Arrived = r.Varint()
		c.Bet = r.Varint()
		c.Multiplier = math.Float64frombits(r.U64())
		c.Game = r.Str()
		c.Scope = r.Uvarint()
		if r.Err != nil {
			return nil, nil, fmt.Errorf("%w: mission candidate %d: %w", ErrBadState, i, r.Err)
		}
		if k := len(u.events); k > 0 && !mcandLess(&u.events[k-1], &c) {
			return nil, nil, fmt.Errorf("%w: mission candidates out of order at %d", ErrBadState, i)
		}
		if c.TS < u.FoldedBefore() {
			return nil, nil, fmt.Errorf("%w: mission candidate %d before the fold horizon", ErrBadState, i)
		}
		u.insert(c)
	}
	u.emitted = r.Uvarint()
	done := r.Uvarint()
	if r.Err != nil || done > 1 {
		return nil, nil, fmt.Errorf("%w: mission reported steps", ErrBadState)
	}
	u.emittedDone = done == 1
	for i := range u.emittedAt {
		u.emittedAt[i] = r.Varint()
	}
	if r.Err != nil {
		return nil, nil, fmt.Errorf("%w: mission report times: %w", ErrBadState, r.Err)
	}
	for i := 0; i < u.fold.cur && i < len(u.doneAt); i++ {
		u.doneAt[i] = u.emittedAt[i] // done in the folded prefix, so reported then
	}
	return u, r.B, nil
}
