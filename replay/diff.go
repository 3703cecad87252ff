package replay

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rankstream/rankstream/aggregator"
)

// RowString is one board row as verify prints it.
func RowString(r aggregator.Row) string {
	fin := "-"
	if r.Standing.Finish >= 0 {
		fin = time.Unix(0, r.Standing.Finish).UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s score %d rounds %d max_mult %s finish %s", r.User, r.Standing.Score, r.Standing.Rounds,
		strconv.FormatFloat(r.Standing.MaxMult, 'g', 6, 64), fin)
}

func sameRow(a, b aggregator.Row) bool {
	return a.User == b.User && a.Standing.Score == b.Standing.Score && a.Standing.Rounds == b.Standing.Rounds &&
		a.Standing.MaxMult == b.Standing.MaxMult && a.Standing.Finish == b.Standing.Finish
}

// DiffRows lists, position by position, where the snapshot and the replay
// differ, then the users present in only one of them.
func DiffRows(snap, rep []aggregator.Row) []string {
	var out []string
	n := max(len(snap), len(rep))
	for i := 0; i < n; i++ {
		switch {
		case i >= len(snap):
			out = append(out, fmt.Sprintf("pos %d: snapshot (none) | replay %s", i+1, RowString(rep[i])))
		case i >= len(rep):
			out = append(out, fmt.Sprintf("pos %d: snapshot %s | replay (none)", i+1, RowString(snap[i])))
		case !sameRow(snap[i], rep[i]):
			out = append(out, fmt.Sprintf("pos %d: snapshot %s | replay %s", i+1, RowString(snap[i]), RowString(rep[i])))
		}
	}
	inSnap := make(map[string]int, len(snap))
	for _, r := range snap {
		inSnap[r.User] = r.Pos
	}
	inRep := make(map[string]bool, len(rep))
	for _, r := range rep {
		inRep[r.User] = true
		if _, ok := inSnap[r.User]; !ok {
			out = append(out, fmt.Sprintf("user %s: only in the replay (pos %d, score %d)", r.User, r.Pos, r.Standing.Score))
		}
	}
	for _, r := range snap {
		if !inRep[r.User] {
			out = append(out, fmt.Sprintf("user %s: only in the snapshot (pos %d, score %d)", r.User, r.Pos, r.Standing.Score))
		}
	}
	return out
}
