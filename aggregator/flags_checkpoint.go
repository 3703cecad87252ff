package aggregator

import (
	"encoding/binary"
	"fmt"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/varint"
)

// The abuse flags' part of a partition checkpoint follows the missions:
//
//	#flags {contest window user hasTiming [timing] #devices {id ts event_id}}
//
// It is left out when the partition holds no flag state (a checkpoint
// without flags is byte for byte what it was before); when there is flag
// state but no mission state, an empty missions' part comes first so that
// the reader tells the sections apart.

func appendFlags(b []byte, ps *partState) []byte {
	if len(ps.flags) == 0 {
		return b
	}
	if len(ps.missions) == 0 {
		b = appendMissionsHead(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(ps.flags)))
	for k, uf := range ps.flags {
		b = varint.AppendStr(b, k.contest)
		b = binary.AppendVarint(b, k.window)
		b = varint.AppendStr(b, k.user)
		if uf.timing != nil {
			b = append(b, 1)
			b = uf.timing.AppendBinary(b)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(len(uf.devices)))
		for _, d := range uf.devices {
			b = varint.AppendStr(b, d.id)
			b = binary.AppendVarint(b, d.ts)
			b = varint.AppendStr(b, d.eventID)
		}
	}
	return b
}

// restoreFlags reads what appendFlags wrote into ps.
func (e *Engine) restoreFlags(ps *partState, r *varint.Reader) error {
	if len(r.B) == 0 || r.Err != nil {
		return nil
	}
	n := r.Uvarint()
	for i := uint64(0); i < n && r.Err == nil; i++ {
		var k uwKey
		k.contest, k.window, k.user = r.Str(), r.Varint(), r.Str()
		if r.Err != nil || len(r.B) == 0 {
			return fmt.Errorf("%w: flags entry %d", ErrBadCheckpoint, i)
		}
		if e.rules.Get(k.contest) == nil {
			return fmt.Errorf("%w: unknown contest %q", ErrCheckpointRules, k.contest)
		}
		uf := &userFlags{}
		hasTiming := r.B[0] == 1
		r.B = r.B[1:]
		if hasTiming {
			t, rest, err := contest.UnmarshalTimingStat(r.B)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
			}
			uf.timing, r.B = t, rest
		}
		nd := r.Uvarint()
		if nd > maxFlagDevices {
			return fmt.Errorf("%w: %d devices in a flags entry", ErrBadCheckpoint, nd)
		}
		for j := uint64(0); j < nd && r.Err == nil; j++ {
			uf.devices = append(uf.devices, deviceSeen{id: r.Str(), ts: r.Varint(), eventID: r.Str()})
		}
		if ps.flags == nil {
			ps.flags = make(map[uwKey]*userFlags, n)
		}
		ps.flags[k] = uf
	}
	return nil
}
