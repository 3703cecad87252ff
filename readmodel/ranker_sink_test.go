package readmodel

import (
	"context"
	"testing"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/aggregator/sinktest"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// The Redis read model passes the shared sink suite, read back through the
// Reader the query API uses.
func TestRankerSinkContract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) (aggregator.Sink, sinktest.Observe) {
		rdb, prefix := testkit.Redis(t, "readmodel")
		s := NewRankerSink(NewWriter(rdb, prefix, nil, nil))
		rd := NewReader(rdb, prefix)
		return s, func(ctx context.Context, id contest.BoardID) ([]aggregator.Rank, error) {
			rows, _, _, err := rd.Top(ctx, id, 0, 10)
			if err != nil {
				return nil, err
			}
			out := make([]aggregator.Rank, len(rows))
			for i, r := range rows {
				out[i] = aggregator.Rank{Pos: r.Pos, User: r.User, Score: r.Score}
			}
			return out, nil
		}
	})
}
