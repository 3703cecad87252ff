package readmodel

import (
	"errors"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Errors of the package; match them with errors.Is.
var (
	// ErrInvalid is a write whose content cannot be stored (wrong key
	// length, missing old key of a delete, unknown order…). Nothing was
	// written.
	ErrInvalid = errors.New("readmodel: invalid write")
	// ErrCorrupt is a board whose stored data cannot be decoded.
	ErrCorrupt = errors.New("readmodel: corrupt board data")
)

// Board orders.
const (
	OrderDesc = "desc"
	OrderAsc  = "asc"
)

// BoardMeta describes a board's encoding and freshness.
type BoardMeta struct {
	// NWords is the number of int64 words of every sort key.
	NWords int
	// Order is "desc" (higher score first) or "asc"; "" reads as desc.
	Order string
	// Status is the window's status as last written; "" leaves it unchanged.
	Status string
	// UpdatedAt is when the board last changed; zero leaves it unchanged.
	UpdatedAt time.Time
	// ExpireAt, when set, is when Redis drops the board's keys by itself
	// (retention.finished_windows after the window's end + lateness): a
	// safety net should the ranker not release the board (retention.go).
	ExpireAt time.Time
}

// Score recovers the score from word 0 of a sort key.
func (m BoardMeta) Score(w0 int64) int64 {
	if m.Order == OrderAsc {
		return w0
	}
	return -w0
}

// Upsert puts a user on a board with a new sort key.
type Upsert struct {
	User string
	Key  []int64
	// OldKey is the key Redis holds for the user, nil when the user is new.
	OldKey []int64
}

// DeleteEntry takes a user off a board.
type DeleteEntry struct {
	User string
	// OldKey is the key Redis holds for the user (required).
	OldKey []int64
}

// BoardChange is what changed on one board since the last write.
type BoardChange struct {
	ID      contest.BoardID
	Meta    BoardMeta
	Upserts []Upsert
	Deletes []DeleteEntry
}

// Row is one position of a board. Pos is 1-based.
type Row struct {
	Pos   int
	User  string
	Score int64
}
