package replay

import (
	"context"
	"errors"
	"fmt"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/snapshotter"
)

// ReplayFunc replays one contest window with the rules of version (0: the
// caller's own rules), up to the EVENTS sequence upTo (0: all) and, with a
// cut (a shared-mode snapshot's), each partition p only up to cut[p].
type ReplayFunc func(ctx context.Context, version int, upTo uint64, cut []uint64) (*Result, error)

// Verification is what Verify found for one contest window.
type Verification struct {
	// NoSnapshot: nothing is stored to verify against (a difference).
	NoSnapshot bool
	// Boards are the stored boards, in window then division order.
	Boards []BoardCheck
	// Extra are the boards the replay has and no snapshot does.
	Extra map[contest.BoardID][]aggregator.Row
}

// BoardCheck compares one stored snapshot with its replay.
type BoardCheck struct {
	ID       contest.BoardID
	Snapshot *snapshotter.Snapshot
	Chain    []snapshotter.ChainProblem // breaks of the board's hash chain
	Rows     []aggregator.Row           // replayed
	Hash     [32]byte                   // of the replayed rows
	RowsHash [32]byte                   // of the snapshot's rows as stored now
	Diff     []string                   // DiffRows(snapshot, replay)
	// StreamShort: the stream ends (at StreamLast) before the snapshot's
	// events sequence, so the replay could not reach it.
	StreamShort bool
	StreamLast  uint64
}

// Equal reports whether the replay equals the snapshot (rows and hash).
func (b *BoardCheck) Equal() bool {
	return len(b.Diff) == 0 && b.Hash == b.Snapshot.StandingsHash && !b.StreamShort
}

// OK reports whether everything verified: something stored, every chain
// whole, every board equal, no board only in the replay.
func (v *Verification) OK() bool {
	if v.NoSnapshot || len(v.Extra) > 0 {
		return false
	}
	for i := range v.Boards {
		if len(v.Boards[i].Chain) > 0 || !v.Boards[i].Equal() {
			return false
		}
	}
	return true
}

// Verify compares the replay of a contest window with its stored
// snapshots: for each division the final snapshot, else the latest
// (replayed up to the EVENTS sequence, or the cut, it covers), with the
// rules version it was taken under, and checks each board's hash chain.
func Verify(ctx context.Context, store *snapshotter.Store, contestID string, window int64, run ReplayFunc) (*Verification, error) {
	snaps, chains, err := storedBoards(ctx, store, contestID, window)
	if err != nil {
		return nil, err
	}
	v := &Verification{NoSnapshot: len(snaps) == 0, Extra: map[contest.BoardID][]aggregator.Row{}}
	// One replay per distinct (events seq, cut, rule version): usually one.
	type key struct {
		upTo    uint64
		cut     string
		version int
	}
	results := map[key]*Result{}
	for _, id := range contest.SortedBoardIDs(snaps) {
		s := snaps[id]
		k, cut := key{version: s.RuleVersion}, []uint64(nil)
		if s.Kind != snapshotter.KindFinal {
			k.upTo, k.cut, cut = s.EventsSeq, fmt.Sprint(s.EventsCut), s.EventsCut
		}
		res := results[k]
		if res == nil {
			if res, err = run(ctx, s.RuleVersion, k.upTo, cut); err != nil {
				return nil, err
			}
			results[k] = res
		}
		bc := BoardCheck{ID: id, Snapshot: s, Chain: chains[id], Rows: res.Boards[id],
			RowsHash: snapshotter.StandingsHash(s.Rows)}
		bc.Hash = snapshotter.StandingsHash(bc.Rows)
		bc.Diff = DiffRows(s.Rows, bc.Rows)
		if k.upTo > 0 && res.LastSeq < k.upTo {
			bc.StreamShort, bc.StreamLast = true, res.LastSeq
		}
		v.Boards = append(v.Boards, bc)
	}
	for _, res := range results {
		for id, rows := range res.Boards {
			if _, ok := snaps[id]; !ok {
				v.Extra[id] = rows
			}
		}
	}
	return v, nil
}

// storedBoards loads, per division of the window, the snapshot to verify
// against (final, else latest) and the problems of its hash chain.
func storedBoards(ctx context.Context, store *snapshotter.Store, contestID string, window int64) (
	map[contest.BoardID]*snapshotter.Snapshot, map[contest.BoardID][]snapshotter.ChainProblem, error) {
	divs, err := store.Divisions(ctx, contestID, window)
	if err != nil {
		return nil, nil, fmt.Errorf("replay: verify: %w", err)
	}
	snaps := map[contest.BoardID]*snapshotter.Snapshot{}
	chains := map[contest.BoardID][]snapshotter.ChainProblem{}
	for _, d := range divs {
		id := contest.BoardID{Contest: contestID, Window: window, Division: d}
		problems, err := store.VerifyChain(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("replay: verify chain: %w", err)
		}
		chains[id] = problems
		s, err := store.FinalSnapshot(ctx, id)
		if errors.Is(err, snapshotter.ErrNoSnapshot) {
			s, err = store.LatestSnapshot(ctx, id)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("replay: verify: snapshot: %w", err)
		}
		snaps[id] = s
	}
	return snaps, chains, nil
}
