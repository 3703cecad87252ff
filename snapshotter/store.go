package snapshotter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
)

// Store reads and appends snapshots. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool (see internal/db.Open).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var rowColumns = []string{"snapshot_id", "pos", "user_id", "score", "max_mult", "rounds", "finish"}

// Write appends snap (Board, WindowEnd, Kind, RuleVersion, EventsSeq,
// ScoresSeq and Rows set by the caller) as the board's next snapshot, in one
// transaction: the rows go in with COPY while their hash is computed, then
// the header chained to the board's previous snapshot. It fills in and
// returns the header. ErrFinalExists when a final snapshot is asked for a
// board that has one.
func (s *Store) Write(ctx context.Context, snap *Snapshot) (Header, error) {
	h := &snap.Header
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Header{}, fmt.Errorf("snapshotter: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit

	start := h.WindowStart()
	// One writer per board at a time keeps the chain linear.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
		fmt.Sprintf("snapshot/%s/%d/%s", h.Board.Contest, h.Board.Window, h.Board.Division)); err != nil {
		return Header{}, fmt.Errorf("snapshotter: lock board: %w", err)
	}
	var (
		lastSeq   int
		lastHash  []byte
		haveFinal bool
	)
	err = tx.QueryRow(ctx, `SELECT board_seq, hash, EXISTS (SELECT 1 FROM snapshots f
		WHERE f.contest_id = s.contest_id AND f.window_start = s.window_start AND f.division = s.division AND f.kind = 'final')
		FROM snapshots s WHERE contest_id = $1 AND window_start = $2 AND division = $3
		ORDER BY board_seq DESC LIMIT 1`, h.Board.Contest, start, h.Board.Division).Scan(&lastSeq, &lastHash, &haveFinal)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Header{}, fmt.Errorf("snapshotter: previous snapshot: %w", err)
	}
	if haveFinal && h.Kind == KindFinal {
		return Header{}, ErrFinalExists
	}
	if err := tx.QueryRow(ctx, "SELECT nextval('snapshot_ids')").Scan(&h.ID); err != nil {
		return Header{}, fmt.Errorf("snapshotter: snapshot id: %w", err)
	}
	h.BoardSeq = lastSeq + 1
	h.PrevHash = lastHash
	h.Entries = len(snap.Rows)
	h.TakenAt = time.Now().UTC().Truncate(time.Microsecond)

	src := &rowSource{id: h.ID, rows: snap.Rows, i: -1, hasher: newRowHasher(), vals: make([]any, len(rowColumns))}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"snapshot_rows"}, rowColumns, src)
	if err != nil {
		return Header{}, fmt.Errorf("snapshotter: copy rows: %w", err)
	}
	if int(n) != len(snap.Rows) {
		return Header{}, fmt.Errorf("snapshotter: copied %d of %d rows", n, len(snap.Rows))
	}
	h.StandingsHash = src.hasher.sum()
	h.Hash = SnapshotHash(h)
	_, err = tx.Exec(ctx, `INSERT INTO snapshots (id, contest_id, window_start, window_end, division, board_seq,
		kind, rule_version, events_seq, scores_seq, entries, standings_hash, prev_hash, hash, taken_at, events_cut)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		h.ID, h.Board.Contest, start, h.WindowEnd.UTC(), h.Board.Division, h.BoardSeq, h.Kind, h.RuleVersion,
		int64(h.EventsSeq), int64(h.ScoresSeq), h.Entries, h.StandingsHash[:], h.PrevHash, h.Hash[:], h.TakenAt,
		cutColumn(h.EventsCut))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && h.Kind == KindFinal {
			return Header{}, ErrFinalExists
		}
		return Header{}, fmt.Errorf("snapshotter: insert header: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Header{}, fmt.Errorf("snapshotter: commit: %w", err)
	}
	return *h, nil
}

// rowSource feeds COPY and hashes each row on the way.
type rowSource struct {
	id     int64
	rows   []aggregator.Row
	i      int
	hasher *rowHasher
	vals   []any
}

func (r *rowSource) Next() bool {
	r.i++
	return r.i < len(r.rows)
}

func (r *rowSource) Values() ([]any, error) {
	row := &r.rows[r.i]
	r.hasher.add(row)
	r.vals[0], r.vals[1], r.vals[2] = r.id, int32(row.Pos), row.User
	r.vals[3], r.vals[4] = row.Standing.Score, row.Standing.MaxMult
	r.vals[5], r.vals[6] = row.Standing.Rounds, row.Standing.Finish
	return r.vals, nil
}

func (r *rowSource) Err() error { return nil }

const headerColumns = `id, contest_id, window_start, window_end, division, board_seq, kind, rule_version,
	events_seq, scores_seq, entries, standings_hash, prev_hash, hash, taken_at, events_cut`

func scanHeader(row pgx.Row) (Header, error) {
	var (
		h                 Header
		start             time.Time
		evSeq, scSeq      int64
		stHash, hash, prv []byte
		cut               []int64
	)
	err := row.Scan(&h.ID, &h.Board.Contest, &start, &h.WindowEnd, &h.Board.Division, &h.BoardSeq, &h.Kind,
		&h.RuleVersion, &evSeq, &scSeq, &h.Entries, &stHash, &prv, &hash, &h.TakenAt, &cut)
	if err != nil {
		return Header{}, err
	}
	h.Board.Window = start.Unix()
	h.WindowEnd = h.WindowEnd.UTC()
	h.TakenAt = h.TakenAt.UTC()
	h.EventsSeq, h.ScoresSeq = uint64(evSeq), uint64(scSeq)
	if cut != nil {
		h.EventsCut = make([]uint64, len(cut))
		for i, v := range cut {
			h.EventsCut[i] = uint64(v)
		}
	}
	copy(h.StandingsHash[:], stHash)
	copy(h.Hash[:], hash)
	h.PrevHash = prv
	return h, nil
}

// Headers lists a board's snapshots in chain order.
func (s *Store) Headers(ctx context.Context, id contest.BoardID) ([]Header, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+headerColumns+` FROM snapshots
		WHERE contest_id = $1 AND window_start = $2 AND division = $3 ORDER BY board_seq`,
		id.Contest, time.Unix(id.Window, 0).UTC(), id.Division)
	if err != nil {
		return nil, fmt.Errorf("snapshotter: headers: %w", err)
	}
	defer rows.Close()
	var out []Header
	for rows.Next() {
		h, err := scanHeader(rows)
		if err != nil {
			return nil, fmt.Errorf("snapshotter: scan header: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("snapshotter: headers: %w", err)
	}
	return out, nil
}

// Divisions lists the divisions of a contest window that have snapshots.
func (s *Store) Divisions(ctx context.Context, contestID string, window int64) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT division FROM snapshots
		WHERE contest_id = $1 AND window_start = $2 ORDER BY division`, contestID, time.Unix(window, 0).UTC())
	if err != nil {
		return nil, fmt.Errorf("snapshotter: divisions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("snapshotter: divisions: %w", err)
	}
	return out, nil
}

// LatestSnapshot returns the board's latest snapshot with its rows, the
// starting point of a ranker that recovers from snapshots (resume SCORES
// after ScoresSeq). ErrNoSnapshot when there is none.
func (s *Store) LatestSnapshot(ctx context.Context, id contest.BoardID) (*Snapshot, error) {
	return s.one(ctx, id, "")
}

// FinalSnapshot returns the board's final snapshot, ErrNoSnapshot when the
// window has none yet.
func (s *Store) FinalSnapshot(ctx context.Context, id contest.BoardID) (*Snapshot, error) {
	return s.one(ctx, id, KindFinal)
}

// HasFinal reports whether the board has its final snapshot.
func (s *Store) HasFinal(ctx context.Context, id contest.BoardID) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM snapshots WHERE contest_id = $1
		AND window_start = $2 AND division = $3 AND kind = 'final')`,
		id.Contest, time.Unix(id.Window, 0).UTC(), id.Division).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("snapshotter: has final: %w", err)
	}
	return ok, nil
}

func (s *Store) one(ctx context.Context, id contest.BoardID, kind string) (*Snapshot, error) {
	q := "SELECT " + headerColumns + ` FROM snapshots WHERE contest_id = $1 AND window_start = $2 AND division = $3
		AND ($4 = '' OR kind = $4) ORDER BY board_seq DESC LIMIT 1`
	h, err := scanHeader(s.pool.QueryRow(ctx, q, id.Contest, time.Unix(id.Window, 0).UTC(), id.Division, kind))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoSnapshot
	}
	if err != nil {
		return nil, fmt.Errorf("snapshotter: snapshot header: %w", err)
	}
	rows, err := s.Rows(ctx, h.ID)
	if err != nil {
		return nil, err
	}
	return &Snapshot{Header: h, Rows: rows}, nil
}

// Rows reads a snapshot's standings in position order.
func (s *Store) Rows(ctx context.Context, snapshotID int64) ([]aggregator.Row, error) {
	var out []aggregator.Row
	err := s.eachRow(ctx, snapshotID, func(r aggregator.Row) { out = append(out, r) })
	return out, err
}

func (s *Store) eachRow(ctx context.Context, snapshotID int64, fn func(aggregator.Row)) error {
	rows, err := s.pool.Query(ctx, `SELECT pos, user_id, score, max_mult, rounds, finish
		FROM snapshot_rows WHERE snapshot_id = $1 ORDER BY pos`, snapshotID)
	if err != nil {
		return fmt.Errorf("snapshotter: rows of %d: %w", snapshotID, err)
	}
	defer rows.Close()
	var r aggregator.Row
	for rows.Next() {
		var pos int32
		if err := rows.Scan(&pos, &r.User, &r.Standing.Score, &r.Standing.MaxMult, &r.Standing.Rounds, &r.Standing.Finish); err != nil {
			return fmt.Errorf("snapshotter: scan row: %w", err)
		}
		r.Pos = int(pos)
		fn(r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("snapshotter: rows of %d: %w", snapshotID, err)
	}
	return nil
}

// LatestHeader returns the header of the board's latest snapshot.
func (s *Store) LatestHeader(ctx context.Context, id contest.BoardID) (*Header, error) {
	q := "SELECT " + headerColumns + ` FROM snapshots WHERE contest_id = $1 AND window_start = $2 AND division = $3
		ORDER BY board_seq DESC LIMIT 1`
	h, err := scanHeader(s.pool.QueryRow(ctx, q, id.Contest, time.Unix(id.Window, 0).UTC(), id.Division))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoSnapshot
	}
	if err != nil {
		return nil, fmt.Errorf("snapshotter: latest header: %w", err)
	}
	return &h, nil
}

// cutColumn is the events_cut value of a header: NULL when it has no cut.
func cutColumn(cut []uint64) []int64 {
	if len(cut) == 0 {
		return nil
	}
	out := make([]int64, len(cut))
	for i, v := range cut {
		out[i] = int64(v)
	}
	return out
}
