package readmodel

import (
	"strconv"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/subjtok"
)

// keys names the Redis keys of one board.
type keys struct {
	z, u, m   string // standings, user -> member, meta
	windows   string // the contest's window starts
	divisions string // the divisions of the board's window
}

// boardBase is the key prefix of a board; the division value is encoded
// (internal/subjtok), so no value can reach into another board's keys.
func boardBase(prefix string, id contest.BoardID) string {
	return prefix + "b:" + id.Contest + ":" + strconv.FormatInt(id.Window, 10) + ":" + subjtok.Encode(id.Division) + ":"
}

func keysOf(prefix string, id contest.BoardID) keys {
	b := boardBase(prefix, id)
	return keys{
		z: b + "z", u: b + "u", m: b + "m",
		windows:   windowsKey(prefix, id.Contest),
		divisions: divisionsKey(prefix, id.Contest, id.Window),
	}
}

func windowsKey(prefix, contest string) string { return prefix + "c:" + contest + ":w" }

func divisionsKey(prefix, contest string, win int64) string {
	return prefix + "c:" + contest + ":" + strconv.FormatInt(win, 10) + ":d"
}

// Meta hash fields.
const (
	fieldNWords    = "nwords"
	fieldOrder     = "order"
	fieldUpdatedAt = "updated_at"
	fieldStatus    = "status"
)
