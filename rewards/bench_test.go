package rewards

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/db/dbtest"
	"github.com/rankstream/rankstream/snapshotter"
)

// BenchmarkPayouts1M pays a 1M-entry final board with auto_grant
// (proportional over every entry, so every entry wins: read the snapshot,
// compute, store the rewards, 1M ledger journal rows (a balanced posting
// each), 1M outbox rows and the history, in parts of Store.PartRows over
// Store.Workers connections, then the board row) and, in the same run on the same
// pool, a plain COPY of the same number of rows (reward_id, user, amount)
// into a table without index or trigger. Reported: payout_vs_copy = plain
// time / payout time (target ≥ 0.5), medians of RANKSTREAM_BENCH_REPS
// repetitions (default 3). RANKSTREAM_BENCH_ROWS overrides 1M.
func BenchmarkPayouts1M(b *testing.B) {
	n, reps := 1_000_000, 3
	if s := os.Getenv("RANKSTREAM_BENCH_ROWS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("RANKSTREAM_BENCH_REPS"); s != "" {
		reps, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	dsn := dbtest.New(b)
	pool, err := db.Open(ctx, dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	su, err := dbtest.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer su.Close(ctx)
	if _, err := su.Exec(ctx, `CREATE TABLE plain_payouts (reward_id text NOT NULL, user_id text NOT NULL,
		amount_minor bigint NOT NULL); GRANT INSERT ON plain_payouts TO rankstream_app`); err != nil {
		b.Fatal(err)
	}
	rows := make([]aggregator.Row, n)
	for i := range rows {
		rows[i] = aggregator.Row{Pos: i + 1, User: fmt.Sprintf("u_%d", 1_000_000+i), Standing: contest.Standing{Score: int64(2*n - i), Finish: -1}}
	}
	r := &Rules{Currency: "EUR", TotalMinor: 1 << 50, Distribution: Proportional, Kind: KindCash, Desc: true,
		ClaimWindow: time.Hour, AutoGrant: true}
	st, snaps := NewStore(pool), snapshotter.NewStore(pool)
	var payT, plainT []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rep := 0; rep < reps; rep++ {
			win := time.Unix(int64(1_700_000_000+3600*(reps*i+rep)), 0).UTC()
			b.StopTimer()
			h, err := snaps.Write(ctx, &snapshotter.Snapshot{Header: snapshotter.Header{Board: contest.BoardID{Contest: "bench",
				Window: win.Unix()}, WindowEnd: win.Add(time.Hour), Kind: snapshotter.KindFinal, RuleVersion: 1}, Rows: rows})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()

			plainT = append(plainT, plainCopy(ctx, b, pool, win, rows))

			t0 := time.Now()
			got, err := snaps.Rows(ctx, h.ID)
			if err != nil {
				b.Fatal(err)
			}
			entries := make([]Entry, len(got))
			for k, g := range got {
				entries[k] = Entry{Pos: g.Pos, User: g.User, Score: g.Standing.Score}
			}
			board := Board{Contest: "bench", Window: win, StandingsHash: sha256.Sum256([]byte("x"))}
			res, err := Compute(r, board, entries)
			if err != nil || len(res.Payouts) != n {
				b.Fatalf("compute: %d payouts, %v", len(res.Payouts), err)
			}
			if ok, err := st.SaveBoard(ctx, board, h.ID, 1, r, res); !ok || err != nil {
				b.Fatalf("save: %v %v", ok, err)
			}
			payT = append(payT, time.Since(t0))
		}
	}
	b.StopTimer()
	var granted int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM grants`).Scan(&granted); err != nil || granted != n*len(payT) {
		b.Fatalf("granted %d, want %d: %v", granted, n*len(payT), err)
	}
	pm, cm := medianDur(payT), medianDur(plainT)
	b.ReportMetric(pm.Seconds(), "payout_s")
	b.ReportMetric(cm.Seconds(), "copy_s")
	b.ReportMetric(cm.Seconds()/pm.Seconds(), "payout_vs_copy")
	b.Logf("payout %v, plain COPY %v", payT, plainT)
}

// plainCopy is the baseline: a plain COPY of one row (reward_id, user,
// amount) per entry into a table without index or trigger; its time.
func plainCopy(ctx context.Context, b *testing.B, pool *pgxpool.Pool, win time.Time, rows []aggregator.Row) time.Duration {
	t0 := time.Now()
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"plain_payouts"}, []string{"reward_id", "user_id", "amount_minor"},
		pgx.CopyFromSlice(len(rows), func(j int) ([]any, error) {
			return []any{ContestRewardID("bench", win, "", rows[j].User), rows[j].User, int64(j + 1)}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

func medianDur(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
