package snapshotter_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/snapshotter"
)

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkSnapshot1M writes a 1M-entry snapshot (COPY with the row hash,
// chained header, one transaction) and, in the same run and on the same
// pool, a plain COPY of the same rows into a table with the same columns and
// no index or trigger. Reported: snapshot_vs_copy = plain time / snapshot
// time (1 = as fast as a plain COPY; target ≥ 0.7). The copy of a board out
// of the ranker is measured by aggregator's BenchmarkBoardCopy1M.
func BenchmarkSnapshot1M(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	s, pool, url := openStore(b)
	su, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer su.Close(ctx)
	if _, err := su.Exec(ctx, `CREATE TABLE plain_rows (snapshot_id bigint NOT NULL, pos integer NOT NULL,
		user_id text NOT NULL, score bigint NOT NULL, max_mult double precision NOT NULL, rounds bigint NOT NULL,
		finish bigint NOT NULL); GRANT INSERT ON plain_rows TO rankstream_app`); err != nil {
		b.Fatal(err)
	}
	rows := makeRows(n, 0)

	var snapT, plainT []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rep := 0; rep < 3; rep++ {
			t0 := time.Now()
			_, err := pool.CopyFrom(ctx, pgx.Identifier{"plain_rows"}, []string{"snapshot_id", "pos", "user_id", "score", "max_mult", "rounds", "finish"},
				pgx.CopyFromSlice(len(rows), func(j int) ([]any, error) {
					r := &rows[j]
					return []any{int64(rep), int32(r.Pos), r.User, r.Standing.Score, r.Standing.MaxMult, r.Standing.Rounds, r.Standing.Finish}, nil
				}))
			if err != nil {
				b.Fatal(err)
			}
			plainT = append(plainT, time.Since(t0))

			id := contest.BoardID{Contest: "bench", Window: int64(1_700_000_000 + 3600*(i*3+rep))}
			t0 = time.Now()
			if _, err := s.Write(ctx, &snapshotter.Snapshot{Header: snapshotter.Header{Board: id, Kind: snapshotter.KindFinal,
				WindowEnd: time.Unix(id.Window+3600, 0), RuleVersion: 1, EventsSeq: 1}, Rows: rows}); err != nil {
				b.Fatal(err)
			}
			snapT = append(snapT, time.Since(t0))
		}
	}
	b.StopTimer()
	ps, ss := median(plainT), median(snapT)
	b.ReportMetric(ss.Seconds(), "snapshot_s")
	b.ReportMetric(ps.Seconds(), "plain_copy_s")
	b.ReportMetric(ps.Seconds()/ss.Seconds(), "snapshot_vs_copy")
	fmt.Printf("snapshot 1M: %v (median of %d), plain COPY %v, ratio %.2f\n", ss, len(snapT), ps, ps.Seconds()/ss.Seconds())
}
