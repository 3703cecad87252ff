// Package snapshotter writes board standings to Postgres, write-once: every
// hour for each live board and once when a window turns final (or an
// operator finalizes it). Each snapshot records the EVENTS stream sequence it
// covers, the contest's rule version, the sha256 of its standings and the hash
// of the board's previous snapshot, so that any later change shows as a broken
// chain (see docs/snapshots.md for the canonical encoding).
//
// The database enforces write-once twice: the application works as a role
// without UPDATE, DELETE or TRUNCATE rights on the snapshot tables, and
// triggers refuse those statements for every role.
package snapshotter

import (
	"errors"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// Snapshot kinds.
const (
	KindHourly = "hourly"
	KindFinal  = "final"
)

// Errors.
var (
	// ErrNoSnapshot: the board has no snapshot (of the kind asked for).
	ErrNoSnapshot = errors.New("snapshotter: no snapshot")
	// ErrFinalExists: the board already has its final snapshot.
	ErrFinalExists = errors.New("snapshotter: final snapshot already written")
)

// Header describes one stored snapshot.
type Header struct {
	ID          int64
	Board       contest.BoardID
	WindowEnd   time.Time
	BoardSeq    int    // 1, 2, … per board
	Kind        string // hourly | final
	RuleVersion int
	// EventsSeq is the EVENTS stream sequence the standings cover: every
	// event up to it is reflected.
	EventsSeq uint64
	// EventsCut, when set (shared scorer), is the cut per partition: the
	// standings reflect exactly the events of partition p with a sequence
	// ≤ EventsCut[p]; EventsSeq is then its maximum.
	EventsCut []uint64
	// ScoresSeq is the SCORES stream sequence the ranker had applied: a
	// ranker seeded from this snapshot resumes SCORES after it.
	ScoresSeq     uint64
	Entries       int
	StandingsHash [32]byte
	PrevHash      []byte // nil for the board's first snapshot
	Hash          [32]byte
	TakenAt       time.Time // microsecond precision, as stored
}

// Snapshot is a header and the standings in position order.
type Snapshot struct {
	Header
	Rows []aggregator.Row
}

// WindowStart is the board's window start.
func (h *Header) WindowStart() time.Time { return time.Unix(h.Board.Window, 0).UTC() }
