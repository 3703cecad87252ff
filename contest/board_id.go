package contest

import "strconv"

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
