package aggregator

import (
	"context"
	"time"

	"github.com/rankstream/rankstream/contest"
)

// Sink receives the ranker's output: one Batch per tick, holding the boards
// of the groups this process owns whose standings changed, and boards in full
// (Full) after this process gained a board group's lease, after a board was
// re-keyed for a new contest version, and after this sink failed a write.
// The Redis read model (readmodel.RankerSink) and the live-rank feed the
// notifiers follow (RanksFeed) are sinks; every implementation must pass
// aggregator/sinktest.Run.
//
// The contract:
//
//   - Ownership. The batch and everything it points to belong to the ranker.
//     Write reads them until it returns, never after, and never modifies
//     them; a sink that keeps anything copies it. A Full board's Entries
//     iterator walks the ranker's tree and is valid only during Write.
//   - Calls and ordering. Write is called by the ranker alone, one batch
//     at a time per sink (the sinks of a tick are written concurrently), in
//     tick order: for one board a later batch always
//     holds newer standings than an earlier one. It may run on a goroutine
//     of its own while the ranker applies standings (ranker_write.go): a
//     batch without a Full board holds no reference into the boards. Boards inside a batch come
//     in no particular order and each appears at most once.
//   - Context. ctx is the ranker's run context. When it ends, Write returns
//     promptly with an error wrapping ctx.Err(); what was not written then
//     is written in full by the next holder of the board's group (or by this
//     process on its next start).
//   - Errors and retries. nil means the whole batch is applied (durable as
//     far as the sink is). An error means none, or part, of it may be
//     applied: the ranker then sends every board of the failed batch to this
//     sink again as Full on its next ticks until a write succeeds. Other
//     sinks are not held back. Values are absolute (a standing, a sort key,
//     a position), so a sink must accept the same change twice.
//   - Errors never stop the ranker: they are logged and counted
//     (rankstream_ranker_sink_errors_total{sink}).
type Sink interface {
	// Name identifies the sink in logs and metrics ("redis", "feed").
	Name() string
	Write(ctx context.Context, batch *Batch) error
}

// RanksWanted is implemented by a sink that needs BoardDelta.Top, Ranks and
// Total (the live-rank feed); without such a sink the ranker does not
// compute them.
type RanksWanted interface {
	WantsRanks() bool
}

// Batch is the output of one tick.
type Batch struct {
	// At is the ranker's wall clock at the tick (the read model's updated_at).
	At     time.Time
	Boards []BoardDelta
}

// BoardDelta is what changed on one board during a tick.
type BoardDelta struct {
	ID contest.BoardID
	// Full: the board is given in full (Entries); the sink drops whatever
	// else it holds of the board. Changed is then empty.
	Full bool
	// Entries (Full only) yields every entry of the board in board order.
	Entries func(yield func(user string, key []int64) bool) `json:"-"`
	// Changed lists the users whose standing changed (or who left).
	Changed []UserDelta
	// Top is the board's top K after the tick (when ranks are wanted).
	Top []Rank
	// Ranks holds the position after the tick of every changed user and of
	// every watched user of the board (when ranks are wanted).
	Ranks map[string]Rank
	// RanksOnly: nothing on the board changed; the delta reports the ranks
	// of users who became watched (ranker_watch.go). Only sinks that want
	// ranks get it.
	RanksOnly bool `json:"-"`
	// Total is the number of users on the board.
	Total int
	// EventTime is the stream time of the oldest event among the changes
	// (zero: unknown), for the event → pushed latency.
	EventTime time.Time
	// NWords is the length of every sort key; Order the board's order
	// ("desc" or "asc"); ExpireAt when the board's state is released (zero:
	// never; ranker_release.go).
	NWords   int
	Order    string
	ExpireAt time.Time
}

// UserDelta is one user's new standing on a board.
type UserDelta struct {
	User     string
	Standing contest.Standing
	Removed  bool
	// Key is the user's sort key after the tick (nil when removed); OldKey
	// the key this sink was last given for the user (nil: none).
	Key    []int64 `json:"-"`
	OldKey []int64 `json:"-"`
}

// Rank is a user's position on a board.
type Rank struct {
	Pos   int    `json:"pos"`
	User  string `json:"user"`
	Score int64  `json:"score"`
	// GapToNext is the score difference to the position above; nil at 1.
	GapToNext *int64 `json:"gap_to_next"`
	// LastPoints is the user's last accrual.
	LastPoints int64 `json:"points"`
}
