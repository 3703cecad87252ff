package contest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/rankstream/rankstream/internal/varint"
)

// ErrBadState is returned by UnmarshalUserWindow for data it cannot decode.
var ErrBadState = errors.New("contest: bad user window state")

// AppendBinary appends u's state to b: the folded summary (fold.go), the
// candidate events in event-time order (a pinned one with its final points)
// plus the last accrual per board. Otherwise only inputs are stored; the
// decoder rebuilds everything else by re-adding the unfolded candidates in
// event-time order, which takes the same path a live run in event-time order
// takes, so the rebuilt state is exact by construction.
func (u *UserWindow) AppendBinary(b []byte) []byte {
	b = u.appendFold(b)
	b = binary.AppendUvarint(b, uint64(len(u.events)))
	for i := range u.events {
		e := &u.events[i]
		b = binary.AppendVarint(b, e.TS)
		b = varint.AppendStr(b, e.EventID)
		b = binary.AppendVarint(b, e.Base)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.Multiplier))
		b = varint.AppendStr(b, e.Division)
		b = binary.AppendVarint(b, e.Day)
		if e.pinned {
			b = append(b, 1)
			b = binary.AppendVarint(b, e.final)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(u.boards)))
	for i := range u.boards { // sorted by division
		b = varint.AppendStr(b, u.boards[i].div)
		b = binary.AppendVarint(b, u.boards[i].st.LastPoints)
	}
	return b
}

// UnmarshalUserWindow rebuilds a UserWindow of c from data written by
// AppendBinary and returns it with the bytes that follow it.
func UnmarshalUserWindow(c *Contest, data []byte) (*UserWindow, []byte, error) {
	r := varint.Reader{B: data}
	u := NewUserWindow(c)
	u.readFold(&r)
	n := r.Uvarint()
	if r.Err != nil || n > uint64(len(data)) {
		return nil, nil, fmt.Errorf("%w: candidate count", ErrBadState)
	}
	u.events = make([]Candidate, 0, n)
	pinned := true // pinned candidates come first; the rest are re-added
	for i := uint64(0); i < n; i++ {
		var cd Candidate
		cd.TS = r.Varint()
		cd.EventID = r.Str()
		cd.Base = r.Varint()
		cd.Multiplier = math.Float64frombits(r.U64())
		cd.Division = r.Str()
		cd.Day = r.Varint()
		cd.pinned = r.Byte() == 1
		if cd.pinned {
			cd.counted, cd.final = true, r.Varint()
		}
		if r.Err != nil {
			return nil, nil, fmt.Errorf("%w: candidate %d: %w", ErrBadState, i, r.Err)
		}
		if k := len(u.events); k > 0 && !candLess(&u.events[k-1], &cd) {
			return nil, nil, fmt.Errorf("%w: candidates out of order at %d", ErrBadState, i)
		}
		switch {
		case cd.pinned && (!pinned || !u.fold.done || cd.TS >= u.fold.upTo):
			return nil, nil, fmt.Errorf("%w: folded candidate %d after the horizon", ErrBadState, i)
		case cd.pinned:
			u.events = append(u.events, cd)
			continue
		case pinned:
			pinned = false
			u.rescore()
		}
		u.Add(cd)
	}
	if pinned {
		u.rescore()
	}
	nb := r.Uvarint()
	for i := uint64(0); i < nb && r.Err == nil; i++ {
		d, lp := r.Str(), r.Varint()
		if b := u.board(d); b != nil && r.Err == nil {
			b.st.LastPoints = lp
		}
	}
	if r.Err != nil {
		return nil, nil, fmt.Errorf("%w: boards: %w", ErrBadState, r.Err)
	}
	return u, r.B, nil
}

// errBadFold is a folded board that cannot be (rounds ≤ 0, or twice).
var errBadFold = errors.New("bad folded board")
