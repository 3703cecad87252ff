package aggregator

import (
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/rankstream/rankstream/internal/varint"

	"github.com/rankstream/rankstream/contest"
)

// The missions' part of a partition checkpoint follows the contest windows:
//
//	0 | layout | #missions {mission window user state}
//
// It is left out when the partition holds no mission state, so a checkpoint
// without missions is byte for byte what it was before missions existed (and
// such a checkpoint restores with no mission state). The leading 0 (never a
// count: an empty part is left out) marks a layout after the first: layout
// missionsFolded has each state's folded summary (contest/mission_fold.go).
// A checkpoint of the first layout, #missions {…} without the summaries,
// still restores.

// appendMissions appends ps's mission state to b.
func appendMissions(b []byte, ps *partState) []byte {
	if len(ps.missions) == 0 {
		return b
	}
	b = appendMissionsHead(b, ps.missionWindows())
	ps.eachMission(func(user string, w *missionWin) {
		b = varint.AppendStr(b, w.mission)
		b = binary.AppendVarint(b, w.window)
		b = varint.AppendStr(b, user)
		b = w.um.AppendBinary(b)
	})
	return b
}

// appendMissionsHead appends the head of a missions' part of n states (n
// is 0 when only the flags' part follows, flags_checkpoint.go).
func appendMissionsHead(b []byte, n int) []byte {
	b = binary.AppendUvarint(b, 0)
	b = binary.AppendUvarint(b, missionsFolded)
	return binary.AppendUvarint(b, uint64(n))
}

// missionsFolded is the layout of the missions' part with folded summaries.
const missionsFolded = 1

// restoreMissions reads what appendMissions wrote into ps. The completions a
// state had reported stay reported: a restarted scorer does not emit them
// again (docs/missions.md).
func (e *Engine) restoreMissions(ps *partState, r *varint.Reader) error {
	if len(r.B) == 0 || r.Err != nil {
		return nil
	}
	n, folded := r.Uvarint(), false
	if n == 0 && r.Err == nil {
		if v := r.Uvarint(); v != missionsFolded {
			return fmt.Errorf("%w: missions layout %d", ErrBadCheckpoint, v)
		}
		n, folded = r.Uvarint(), true
	}
	for i := uint64(0); i < n && r.Err == nil; i++ {
		mission, window, user := r.Str(), r.Varint(), r.Str()
		if r.Err != nil {
			break
		}
		m := e.rules.Mission(mission)
		if m == nil {
			return fmt.Errorf("%w: unknown mission %q", ErrCheckpointRules, mission)
		}
		um, rest, err := contest.UnmarshalUserMission(m, r.B, folded)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
		}
		r.B = rest
		u := ps.userMissions(user)
		if u.find(mission, window) != nil {
			return fmt.Errorf("%w: mission %s window %d of %s twice", ErrBadCheckpoint, mission, window, user)
		}
		u.add(mission, window, um)
	}
	return nil
}

// missionsFingerprint adds the missions in force (id, version, source) to a
// rules fingerprint; nothing when there are none, so the fingerprint of
// contests alone is unchanged.
func missionsFingerprint(h hash.Hash, r *contest.Registry) {
	for _, m := range r.Missions() {
		for _, s := range [][]byte{[]byte("mission"), []byte(m.ID), binary.AppendVarint(nil, int64(m.Version)), m.Source} {
			h.Write(binary.AppendUvarint(nil, uint64(len(s))))
			h.Write(s)
		}
	}
}
