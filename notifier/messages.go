package notifier

import (
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Message types, the "type" field of every live message.
const (
	TypeTop  = "top"
	TypeRank = "rank"
)

// TopRow is one position of a top message.
type TopRow struct {
	Pos   int    `json:"pos"`
	User  string `json:"user"`
	Score int64  `json:"score"`
}

// TopMsg is published on lb.<contest>.top (CONTRACT.md §5) and sent over the
// WebSocket as is.
type TopMsg struct {
	Type    string `json:"type"` // "top"
	Contest string `json:"contest"`
	// Window is the window start, RFC 3339 (as in GET /v1/leaderboards).
	Window string `json:"window"`
	// Division is the board's division; omitted on contests without them.
	Division string   `json:"division,omitempty"`
	Total    int      `json:"total"`
	Top      []TopRow `json:"top"`
}

// RankMsg is published on lb.<contest>.user.<user_id> and sent over the
// WebSocket as is.
type RankMsg struct {
	Type     string `json:"type"` // "rank"
	Contest  string `json:"contest"`
	Window   string `json:"window"`
	Division string `json:"division,omitempty"`
	User     string `json:"user"`
	// Pos is the position; null when the user is not on the board (only in the
	// WebSocket's first answer).
	Pos   *int  `json:"pos"`
	Score int64 `json:"score"`
	// GapToNext is the score difference to the position above, null at 1.
	GapToNext *int64 `json:"gap_to_next"`
	// Moved is the places gained since the previous message of this subject
	// (negative when lost; 0 on the first).
	Moved int `json:"moved"`
	// Points is the user's last accrual.
	Points int64 `json:"points"`
	Total  int   `json:"total"`
}

// WindowString formats a board's window start like the query API does.
func WindowString(start int64) string {
	return time.Unix(start, 0).UTC().Format(time.RFC3339)
}

func topMsg(id contest.BoardID, total int, rows []TopRow) TopMsg {
	return TopMsg{Type: TypeTop, Contest: id.Contest, Window: WindowString(id.Window), Division: id.Division,
		Total: total, Top: rows}
}
