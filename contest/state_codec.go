package contest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
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
		b = appendString(b, e.EventID)
		b = binary.AppendVarint(b, e.Base)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.Multiplier))
		b = appendString(b, e.Division)
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
		b = appendString(b, u.boards[i].div)
		b = binary.AppendVarint(b, u.boards[i].st.LastPoints)
	}
	return b
}

// UnmarshalUserWindow rebuilds a UserWindow of c from data written by
// AppendBinary and returns it with the bytes that follow it.
func UnmarshalUserWindow(c *Contest, data []byte) (*UserWindow, []byte, error) {
	r := reader{b: data}
	u := NewUserWindow(c)
	u.readFold(&r)
	n := r.uvarint()
	if r.err != nil || n > uint64(len(data)) {
		return nil, nil, fmt.Errorf("%w: candidate count", ErrBadState)
	}
	u.events = make([]Candidate, 0, n)
	pinned := true // pinned candidates come first; the rest are re-added
	for i := uint64(0); i < n; i++ {
		var cd Candidate
		cd.TS = r.varint()
		cd.EventID = r.str()
		cd.Base = r.varint()
		cd.Multiplier = math.Float64frombits(r.u64())
		cd.Division = r.str()
		cd.Day = r.varint()
		cd.pinned = r.byte() == 1
		if cd.pinned {
			cd.counted, cd.final = true, r.varint()
		}
		if r.err != nil {
			return nil, nil, fmt.Errorf("%w: candidate %d: %w", ErrBadState, i, r.err)
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
	nb := r.uvarint()
	for i := uint64(0); i < nb && r.err == nil; i++ {
		d, lp := r.str(), r.varint()
		if b := u.board(d); b != nil && r.err == nil {
			b.st.LastPoints = lp
		}
	}
	if r.err != nil {
		return nil, nil, fmt.Errorf("%w: boards: %w", ErrBadState, r.err)
	}
	return u, r.b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// reader decodes the varint format; the first error sticks.
type reader struct {
	b   []byte
	err error
}

var (
	errShort   = errors.New("truncated")
	errBadFold = errors.New("bad folded board")
)

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.err = errShort
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errShort
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
