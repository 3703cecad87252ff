package snapshotter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/snapshotter"
)

func openStore(t testing.TB) (*snapshotter.Store, *pgxpool.Pool, string) {
	t.Helper()
	url := testkit.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return snapshotter.NewStore(pool), pool, url
}

func makeRows(n int, seed int64) []aggregator.Row {
	rows := make([]aggregator.Row, n)
	for i := range rows {
		rows[i] = aggregator.Row{Pos: i + 1, User: fmt.Sprintf("u_%d", i), Standing: contest.Standing{
			Score: int64(n-i)*10 + seed, MaxMult: float64(i%7) + 0.5, Rounds: int64(i%5 + 1), Finish: int64(i) * 1e9}}
	}
	if n > 0 {
		rows[n-1].Standing.Finish = -1
	}
	return rows
}

var testBoard = contest.BoardID{Contest: "c1", Window: time.Date(2025, 10, 25, 18, 0, 0, 0, time.UTC).Unix(), Division: "DE"}

func write(t *testing.T, s *snapshotter.Store, kind string, rows []aggregator.Row, evSeq uint64) snapshotter.Header {
	t.Helper()
	h, err := s.Write(context.Background(), &snapshotter.Snapshot{Header: snapshotter.Header{Board: testBoard,
		WindowEnd: time.Unix(testBoard.Window, 0).Add(time.Hour), Kind: kind, RuleVersion: 2, EventsSeq: evSeq, ScoresSeq: evSeq * 2},
		Rows: rows})
	if err != nil {
		t.Fatalf("write %s: %v", kind, err)
	}
	return h
}

func TestWriteReadChain(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openStore(t)
	if _, err := s.LatestSnapshot(ctx, testBoard); !errors.Is(err, snapshotter.ErrNoSnapshot) {
		t.Fatalf("empty store: %v", err)
	}
	h1 := write(t, s, snapshotter.KindHourly, makeRows(100, 0), 10)
	h2 := write(t, s, snapshotter.KindFinal, makeRows(120, 1), 20)
	if h1.BoardSeq != 1 || h1.PrevHash != nil || h2.BoardSeq != 2 || string(h2.PrevHash) != string(h1.Hash[:]) {
		t.Fatalf("chain: %+v %+v", h1, h2)
	}
	if h2.StandingsHash != snapshotter.StandingsHash(makeRows(120, 1)) {
		t.Fatal("standings hash computed during COPY differs from StandingsHash")
	}
	got, err := s.LatestSnapshot(ctx, testBoard)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != h2.ID || got.Hash != h2.Hash || got.EventsSeq != 20 || got.ScoresSeq != 40 || got.RuleVersion != 2 ||
		!got.TakenAt.Equal(h2.TakenAt) || len(got.Rows) != 120 {
		t.Fatalf("latest: %+v", got.Header)
	}
	for i, r := range makeRows(120, 1) {
		if got.Rows[i] != r {
			t.Fatalf("row %d: %+v want %+v", i, got.Rows[i], r)
		}
	}
	if _, err := s.Write(ctx, &snapshotter.Snapshot{Header: snapshotter.Header{Board: testBoard, Kind: snapshotter.KindFinal,
		WindowEnd: h2.WindowEnd}, Rows: makeRows(3, 0)}); !errors.Is(err, snapshotter.ErrFinalExists) {
		t.Fatalf("second final: %v", err)
	}
	if p, err := s.VerifyChain(ctx, testBoard); err != nil || len(p) != 0 {
		t.Fatalf("chain: %v %v", p, err)
	}
	if ok, err := s.HasFinal(ctx, testBoard); err != nil || !ok {
		t.Fatalf("has final: %v %v", ok, err)
	}
}

// TestSnapshotsAreWriteOnce: through the application's role a snapshot can
// be neither changed nor deleted; a superuser who gets past the triggers
// breaks the hash chain, and VerifyChain says where.
func TestSnapshotsAreWriteOnce(t *testing.T) {
	ctx := context.Background()
	s, pool, url := openStore(t)
	h1 := write(t, s, snapshotter.KindHourly, makeRows(50, 0), 5)
	h2 := write(t, s, snapshotter.KindHourly, makeRows(50, 3), 6)

	for _, q := range []string{
		"UPDATE snapshot_rows SET score = score + 1 WHERE snapshot_id = $1",
		"DELETE FROM snapshot_rows WHERE snapshot_id = $1",
		"UPDATE snapshots SET entries = 0 WHERE id = $1",
		"DELETE FROM snapshots WHERE id = $1",
	} {
		_, err := pool.Exec(ctx, q, h1.ID)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%q as the app role: %v, want permission denied", q, err)
		}
	}
	for _, q := range []string{"TRUNCATE snapshot_rows", "TRUNCATE snapshots"} {
		if _, err := pool.Exec(ctx, q); err == nil {
			t.Errorf("%q as the app role succeeded", q)
		}
	}
	su, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(ctx)
	// Even the owner is stopped by the triggers…
	if _, err := su.Exec(ctx, "UPDATE snapshot_rows SET score = 1 WHERE snapshot_id = $1", h1.ID); err == nil ||
		!strings.Contains(err.Error(), "write-once") {
		t.Fatalf("superuser update with triggers: %v", err)
	}
	if p, err := s.VerifyChain(ctx, testBoard); err != nil || len(p) != 0 {
		t.Fatalf("chain before tampering: %v %v", p, err)
	}
	// …unless a superuser switches them off: the chain shows it.
	if _, err := su.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	if _, err := su.Exec(ctx, "UPDATE snapshot_rows SET score = score + 5 WHERE snapshot_id = $1 AND pos = 7", h1.ID); err != nil {
		t.Fatal(err)
	}
	p, err := s.VerifyChain(ctx, testBoard)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 1 || p[0].SnapshotID != h1.ID || !strings.Contains(p[0].Msg, "standings were altered") {
		t.Fatalf("after altering a row: %v", p)
	}
	// Covering it up by rewriting the header's hashes breaks the link to the next.
	fake := snapshotter.StandingsHash(mustRows(t, s, h1.ID))
	if _, err := su.Exec(ctx, "UPDATE snapshots SET standings_hash = $1 WHERE id = $2", fake[:], h1.ID); err != nil {
		t.Fatal(err)
	}
	hh := h1
	hh.StandingsHash = fake
	newHash := snapshotter.SnapshotHash(&hh)
	if _, err := su.Exec(ctx, "UPDATE snapshots SET hash = $1 WHERE id = $2", newHash[:], h1.ID); err != nil {
		t.Fatal(err)
	}
	p, err = s.VerifyChain(ctx, testBoard)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 1 || p[0].SnapshotID != h2.ID || !strings.Contains(p[0].Msg, "previous hash") {
		t.Fatalf("after rewriting the header: %v", p)
	}
}

func mustRows(t *testing.T, s *snapshotter.Store, id int64) []aggregator.Row {
	t.Helper()
	rows, err := s.Rows(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
