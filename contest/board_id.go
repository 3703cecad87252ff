package contest

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
)

// BoardID names a board: contest, window start (Unix seconds), division ("" for
// a board without divisions).
type BoardID struct {
	Contest  string
	Window   int64
	Division string
}

// String is "contest/window/division", for logs.
func (id BoardID) String() string {
	return id.Contest + "/" + strconv.FormatInt(id.Window, 10) + "/" + id.Division
}

// SortedBoardIDs returns the keys of m ordered by contest, window and
// division (how the CLI and verify list boards).
func SortedBoardIDs[T any](m map[BoardID]T) []BoardID {
	ids := slices.Collect(maps.Keys(m))
	slices.SortFunc(ids, func(a, b BoardID) int {
		return cmp.Or(cmp.Compare(a.Contest, b.Contest), cmp.Compare(a.Window, b.Window), cmp.Compare(a.Division, b.Division))
	})
	return ids
}
