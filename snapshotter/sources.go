package snapshotter

import (
	"context"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// Scores is what the snapshotter needs of the scorers: how far they got,
// and exact cuts. *aggregator.Scorer (scorers of this process) and
// *aggregator.CutClient (the shared scorers of other processes, for a
// snapshotter of its own) are Scores.
type Scores interface {
	// CaughtUp reports whether the scorers have read the stream as it was
	// when they started.
	CaughtUp() bool
	// Processed is the highest EVENTS sequence applied (single mode).
	Processed() uint64
	// Shared reports whether partitions are shared among processes (cuts
	// go through RequestCut, not Barrier).
	Shared() bool
	// Barrier holds single-mode scorers at a point of the stream.
	Barrier(ctx context.Context) (seq uint64, exact bool, release func(), err error)
	Partitions() int
	// Progress is, per partition, the EVENTS sequence its holder applied.
	Progress(ctx context.Context) (map[int]uint64, error)
	RequestCut(ctx context.Context) (uint64, error)
	ReleaseCut(ctx context.Context, n uint64) error
}

// Boards is what the snapshotter needs of a ranker: the boards, copies of
// them at a cut, and which of them this process snapshots. *aggregator.Ranker
// is Boards; OwnedBoards makes a lease decide.
type Boards interface {
	Ready() bool
	Processed() uint64
	BoardIDs() []contest.BoardID
	// OwnedBoardIDs are the boards this process snapshots now.
	OwnedBoardIDs() []contest.BoardID
	BoardCopies(ids []contest.BoardID) map[contest.BoardID]aggregator.CopiedBoard
	CutCopies(n uint64, partitions int, ids []contest.BoardID, fp uint64) (cut []uint64, scoresSeq uint64,
		copies map[contest.BoardID]aggregator.CopiedBoard, ok bool, err error)
}

// Holder is a lease (aggregator.Leader).
type Holder interface{ Held() bool }

// OwnedBoards are the boards of a ranker that writes nothing (a snapshotter
// of its own): this process snapshots all of them while it holds lease.
type OwnedBoards struct {
	*aggregator.Ranker
	Lease Holder
}

// OwnedBoardIDs is every board while the lease is held, none otherwise.
func (o OwnedBoards) OwnedBoardIDs() []contest.BoardID {
	if !o.Lease.Held() {
		return nil
	}
	return o.Ranker.BoardIDs()
}
