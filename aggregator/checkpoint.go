package aggregator

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"

	"github.com/rankstream/rankstream/internal/varint"

	"github.com/rankstream/rankstream/contest"
)

// A checkpoint is one partition's scoring state with the EVENTS sequence it
// covers: every event of the partition with a sequence ≤ Covered has been
// applied, and nothing after it. Layout (varints unless noted):
//
//	magic "RSCK3" | fingerprint [32]byte | partition | covered |
//	invalidMark | lateMark | #buckets {bucket #keys {dedup key}} | #windows {contest window user state}
//
// Seen dedup keys (event.DedupKey: provider:user:event_id) go by ts bucket
// (prune.go), user windows with their folded summary (contest/fold.go), so
// a checkpoint shrinks with the state. An older layout (RSCK1, RSCK2) is
// not used: its partition replays.
//
// The fingerprint hashes the contest versions in force: a checkpoint taken
// under other rules is not used (the partition is replayed from the start).

var checkpointMagic = []byte("RSCK3")

// ErrBadCheckpoint is returned for a checkpoint that cannot be decoded.
var ErrBadCheckpoint = errors.New("aggregator: bad checkpoint")

// ErrCheckpointRules is returned for a checkpoint taken under other contest rules.
var ErrCheckpointRules = errors.New("aggregator: checkpoint taken under other contest rules")

// RulesFingerprint hashes the contest and mission versions in force.
func RulesFingerprint(r *contest.Registry) [32]byte {
	return fingerprintOf(r.All(), func(h hash.Hash) { missionsFingerprint(h, r) })
}

// fingerprintOf hashes contests sorted by id (id, version, source), then
// whatever more writes to the hash (nil: nothing).
func fingerprintOf(cs []*contest.Contest, more func(hash.Hash)) [32]byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, c := range cs {
		for _, s := range [][]byte{[]byte(c.ID), binary.AppendVarint(n[:0], int64(c.Version)), c.Source} {
			h.Write(binary.AppendUvarint(nil, uint64(len(s))))
			h.Write(s)
		}
	}
	if more != nil {
		more(h)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// MarshalPartition appends partition p's state, declared to cover EVENTS
// sequences up to covered, to b.
func (e *Engine) MarshalPartition(b []byte, p int, covered uint64) []byte {
	return e.marshalPartition(b, p, covered, RulesFingerprint(e.rules))
}

// marshalPartition is MarshalPartition with the fingerprint of the contest
// versions the state was built with (a scorer worker's, see rescore.go).
func (e *Engine) marshalPartition(b []byte, p int, covered uint64, fp [32]byte) []byte {
	ps := e.part(p)
	b = append(b, checkpointMagic...)
	b = append(b, fp[:]...)
	b = binary.AppendUvarint(b, uint64(p))
	b = binary.AppendUvarint(b, covered)
	b = binary.AppendUvarint(b, ps.invalidMark)
	b = binary.AppendUvarint(b, ps.lateMark)
	b = binary.AppendUvarint(b, uint64(len(ps.seenByTS)))
	for bucket, ids := range ps.seenByTS {
		b = binary.AppendVarint(b, bucket)
		b = binary.AppendUvarint(b, uint64(len(ids.ids)))
		for _, id := range ids.ids {
			b = varint.AppendStr(b, id)
		}
	}
	b = binary.AppendUvarint(b, uint64(ps.windows))
	ps.eachWindow(func(k uwKey, uw *contest.WindowState) {
		b = varint.AppendStr(b, k.contest)
		b = binary.AppendVarint(b, k.window)
		b = varint.AppendStr(b, k.user)
		b = uw.AppendBinary(b)
	})
	return appendFlags(appendMissions(b, ps), ps)
}

// RestorePartition replaces partition p's state with the checkpoint in data
// and returns the sequence it covers.
func (e *Engine) RestorePartition(p int, data []byte) (uint64, error) {
	if !bytes.HasPrefix(data, checkpointMagic) || len(data) < len(checkpointMagic)+32 {
		return 0, fmt.Errorf("%w: no header", ErrBadCheckpoint)
	}
	data = data[len(checkpointMagic):]
	if fp := RulesFingerprint(e.rules); !bytes.Equal(fp[:], data[:32]) {
		return 0, ErrCheckpointRules
	}
	r := varint.Reader{B: data[32:]}
	if got := r.Uvarint(); r.Err == nil && got != uint64(p) {
		return 0, fmt.Errorf("%w: partition %d in checkpoint of %d", ErrBadCheckpoint, got, p)
	}
	ps := newPartState(p)
	covered := r.Uvarint()
	ps.invalidMark, ps.lateMark = r.Uvarint(), r.Uvarint()
	ps.last = covered
	if err := e.restoreSeen(ps, &r); err != nil {
		return 0, err
	}
	nUsers := r.Uvarint()
	for i := uint64(0); i < nUsers && r.Err == nil; i++ {
		var k uwKey
		k.contest, k.window, k.user = r.Str(), r.Varint(), r.Str()
		if r.Err != nil {
			break
		}
		c := e.rules.Get(k.contest)
		if c == nil {
			return 0, fmt.Errorf("%w: unknown contest %q", ErrCheckpointRules, k.contest)
		}
		uw, rest, err := contest.UnmarshalWindowState(c, r.B)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
		}
		r.B = rest
		if ps.window(k) != nil {
			return 0, fmt.Errorf("%w: window %s/%d of %q twice", ErrBadCheckpoint, k.contest, k.window, k.user)
		}
		ps.addWindow(k, uw)
	}
	if err := e.restoreMissions(ps, &r); err != nil {
		return 0, err
	}
	if err := e.restoreFlags(ps, &r); err != nil {
		return 0, err
	}
	if r.Err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadCheckpoint, r.Err)
	}
	if len(r.B) != 0 {
		return 0, fmt.Errorf("%w: %d trailing bytes", ErrBadCheckpoint, len(r.B))
	}
	e.parts[p] = ps
	return covered, nil
}

// restoreSeen reads a partition's seen ids. The set is made at once at its
// size, or at the size ExpectEvents expects it to reach when that is larger
// (a catch-up adds the events since the checkpoint), not grown by rehashing.
func (e *Engine) restoreSeen(ps *partState, r *varint.Reader) error {
	nb := r.Uvarint()
	ps.seenByTS = make(map[int64]*seenIDs, min(nb, uint64(len(r.B))))
	total := 0
	for i := uint64(0); i < nb && r.Err == nil; i++ {
		bucket, n := r.Varint(), r.Uvarint()
		if n > uint64(len(r.B)) {
			return fmt.Errorf("%w: seen bucket of %d ids", ErrBadCheckpoint, n)
		}
		ids := make([]string, 0, n)
		for j := uint64(0); j < n && r.Err == nil; j++ {
			ids = append(ids, r.Str())
		}
		ps.seenByTS[bucket] = &seenIDs{ids: ids}
		total += len(ids)
	}
	ps.seen = make(map[string]struct{}, max(total, e.seenHint))
	for _, ids := range ps.seenByTS {
		for _, id := range ids.ids {
			ps.seen[id] = struct{}{}
		}
	}
	return nil
}
