package contest

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/rankstream/rankstream/internal/varint"
)

// TimingStat is the uniform_timing statistic of one user in one contest
// window: the event times of the user's last n counted events (event time,
// ascending), and whether the flag was raised. It keeps at most n times, so
// it stays bounded however long the window is, and it lives in the
// partition checkpoint, so a restart decides as the live run did. An event
// older than the n kept is not among the last n and is ignored.
type TimingStat struct {
	n      int
	ts     []int64 // unix nanos, ascending, len ≤ n
	raised bool
}

// NewTimingStat returns an empty statistic over the last n events.
func NewTimingStat(n int) *TimingStat { return &TimingStat{n: max(n, 2)} }

// Raised reports whether the flag was raised.
func (t *TimingStat) Raised() bool { return t.raised }

// Times returns the event times kept (unix nanos, ascending); the caller
// must not change them.
func (t *TimingStat) Times() []int64 { return t.ts }

// Add takes the event time of a counted event and reports whether the flag
// is raised by it: the last n gaps' standard deviation dropped below
// thresholdMS for the first time.
func (t *TimingStat) Add(ts int64, thresholdMS int64) bool {
	if t.raised {
		return false // the evidence stays what raised it
	}
	if len(t.ts) == t.n {
		if ts < t.ts[0] {
			return false
		}
		t.ts = t.ts[1:]
	}
	i, _ := slices.BinarySearch(t.ts, ts)
	t.ts = slices.Insert(t.ts, i, ts)
	if len(t.ts) < t.n {
		return false
	}
	if t.StdDevMS() < float64(thresholdMS) {
		t.raised = true
		return true
	}
	return false
}

// StdDevMS is the population standard deviation of the gaps between the
// kept event times, in milliseconds (0 with fewer than two times).
func (t *TimingStat) StdDevMS() float64 {
	return GapStdDevMS(t.ts)
}

// GapStdDevMS is the population standard deviation, in milliseconds, of
// the gaps between consecutive times of ts (unix nanos, ascending).
func GapStdDevMS(ts []int64) float64 {
	k := len(ts) - 1
	if k < 1 {
		return 0
	}
	var sum float64
	for i := 1; i < len(ts); i++ {
		sum += float64(ts[i]-ts[i-1]) / 1e6
	}
	mean := sum / float64(k)
	var sq float64
	for i := 1; i < len(ts); i++ {
		d := float64(ts[i]-ts[i-1])/1e6 - mean
		sq += d * d
	}
	return math.Sqrt(sq / float64(k))
}

// AppendBinary appends the statistic to b: n, raised, the times.
func (t *TimingStat) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(t.n))
	if t.raised {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(t.ts)))
	for _, ts := range t.ts {
		b = binary.AppendVarint(b, ts)
	}
	return b
}

// UnmarshalTimingStat reads what AppendBinary wrote and returns the rest.
func UnmarshalTimingStat(data []byte) (*TimingStat, []byte, error) {
	r := varint.Reader{B: data}
	n := r.Uvarint()
	raised := r.Byte() == 1
	k := r.Uvarint()
	if r.Err != nil || n < 2 || n > MaxFlagMinEvents || k > n {
		return nil, nil, fmt.Errorf("%w: timing statistic", ErrBadState)
	}
	t := &TimingStat{n: int(n), raised: raised, ts: make([]int64, 0, k)}
	for i := uint64(0); i < k; i++ {
		ts := r.Varint()
		if r.Err != nil || (i > 0 && ts < t.ts[i-1]) {
			return nil, nil, fmt.Errorf("%w: timing statistic times", ErrBadState)
		}
		t.ts = append(t.ts, ts)
	}
	return t, r.B, nil
}
