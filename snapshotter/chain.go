package snapshotter

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// ChainProblem is one way a board's stored snapshots fail to prove
// themselves.
type ChainProblem struct {
	SnapshotID int64
	BoardSeq   int
	Msg        string
}

func (p ChainProblem) String() string {
	return fmt.Sprintf("snapshot #%d (board seq %d): %s", p.SnapshotID, p.BoardSeq, p.Msg)
}

// VerifyChain re-reads every snapshot of a board and checks, for each, that
// its rows still hash to its standings hash, that its header still hashes to
// its hash, and that it names its predecessor's hash. It returns the problems
// found (none: the chain holds).
func (s *Store) VerifyChain(ctx context.Context, id contest.BoardID) ([]ChainProblem, error) {
	hs, err := s.Headers(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []ChainProblem
	var prev *Header
	for i := range hs {
		h := &hs[i]
		bad := func(format string, args ...any) {
			out = append(out, ChainProblem{SnapshotID: h.ID, BoardSeq: h.BoardSeq, Msg: fmt.Sprintf(format, args...)})
		}
		if h.BoardSeq != i+1 {
			bad("board sequence %d where %d was expected (a snapshot is missing)", h.BoardSeq, i+1)
		}
		switch {
		case prev == nil && h.PrevHash != nil:
			bad("first snapshot names a previous hash %s", short(h.PrevHash))
		case prev != nil && !bytes.Equal(h.PrevHash, prev.Hash[:]):
			bad("previous hash %s differs from snapshot #%d's hash %s", short(h.PrevHash), prev.ID, short(prev.Hash[:]))
		}
		rh := newRowHasher()
		lastPos := 0
		orderOK := true
		if err := s.eachRow(ctx, h.ID, func(r aggregator.Row) {
			if r.Pos != lastPos+1 {
				orderOK = false
			}
			lastPos = r.Pos
			rh.add(&r)
		}); err != nil {
			return nil, err
		}
		if !orderOK {
			bad("positions are not 1..n")
		}
		if rh.n != h.Entries {
			bad("%d rows stored, header says %d", rh.n, h.Entries)
		}
		if sum := rh.sum(); sum != h.StandingsHash {
			bad("rows hash to %s, header says %s: the standings were altered", short(sum[:]), short(h.StandingsHash[:]))
		}
		if sum := SnapshotHash(h); sum != h.Hash {
			bad("header hashes to %s, stored hash is %s: the header was altered", short(sum[:]), short(h.Hash[:]))
		}
		prev = h
	}
	return out, nil
}

func short(b []byte) string {
	s := hex.EncodeToString(b)
	if len(s) > 16 {
		return s[:16]
	}
	return s
}
