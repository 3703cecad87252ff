// Package admin holds contest versions and operator actions in Postgres and
// serves the admin API (CONTRACT.md §3, §6): PUT a contest (a new version),
// read old versions, freeze, unfreeze and finalize. Every endpoint needs the
// admin token.
package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rankstream/rankstream/contest"
)

// Sources of a version.
const (
	SourceFile = "file"
	SourceAPI  = "api"
)

// ErrNotFound: no such contest or version.
var ErrNotFound = errors.New("admin: not found")

// Version is one stored contest version.
type Version struct {
	Contest   string    `json:"id"`
	Version   int       `json:"version"`
	Source    string    `json:"source"`
	SHA256    string    `json:"sha256"`
	CreatedAt time.Time `json:"created_at"`
	Body      []byte    `json:"-"`
}

// Store reads and appends contest versions and operator actions. Safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool (see internal/db.Open).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Put stores body as the next version of contest id, unless it equals the
// latest version byte for byte (then that version is returned, created false).
func (s *Store) Put(ctx context.Context, id, source string, body []byte) (v Version, created bool, err error) {
	sum := sha256.Sum256(body)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "contest/"+id); err != nil {
			return fmt.Errorf("admin: lock contest: %w", err)
		}
		var last int
		var lastSum []byte
		err := tx.QueryRow(ctx, `SELECT version, sha256 FROM contest_versions WHERE contest_id = $1
			ORDER BY version DESC LIMIT 1`, id).Scan(&last, &lastSum)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("admin: latest version: %w", err)
		}
		if last > 0 && bytes.Equal(lastSum, sum[:]) {
			v, err = scanVersion(tx.QueryRow(ctx, versionQuery+" WHERE contest_id = $1 AND version = $2", id, last))
			return err
		}
		v, err = scanVersion(tx.QueryRow(ctx, `INSERT INTO contest_versions (contest_id, version, source, body, sha256)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+versionColumns, id, last+1, source, body, sum[:]))
		created = err == nil
		return err
	})
	if err != nil {
		return Version{}, false, fmt.Errorf("admin: put version of %s: %w", id, err)
	}
	return v, created, nil
}

const versionColumns = "contest_id, version, source, sha256, created_at, body"
const versionQuery = "SELECT " + versionColumns + " FROM contest_versions"

func scanVersion(row pgx.Row) (Version, error) {
	var v Version
	var sum []byte
	if err := row.Scan(&v.Contest, &v.Version, &v.Source, &sum, &v.CreatedAt, &v.Body); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Version{}, ErrNotFound
		}
		return Version{}, err
	}
	v.SHA256 = fmt.Sprintf("%x", sum)
	v.CreatedAt = v.CreatedAt.UTC()
	return v, nil
}

func (s *Store) collect(ctx context.Context, q string, args ...any) ([]Version, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("admin: versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("admin: scan version: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("admin: versions: %w", err)
	}
	return out, nil
}

// Versions lists every version of a contest, oldest first.
func (s *Store) Versions(ctx context.Context, id string) ([]Version, error) {
	return s.collect(ctx, versionQuery+" WHERE contest_id = $1 ORDER BY version", id)
}

// Version returns version n of a contest, ErrNotFound when absent.
func (s *Store) Version(ctx context.Context, id string, n int) (Version, error) {
	v, err := scanVersion(s.pool.QueryRow(ctx, versionQuery+" WHERE contest_id = $1 AND version = $2", id, n))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Version{}, fmt.Errorf("admin: version %d of %s: %w", n, id, err)
	}
	return v, err
}

// Latest returns the latest version of every contest.
func (s *Store) Latest(ctx context.Context) (map[string]Version, error) {
	vs, err := s.collect(ctx, `SELECT DISTINCT ON (contest_id) `+versionColumns+`
		FROM contest_versions ORDER BY contest_id, version DESC`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Version, len(vs))
	for _, v := range vs {
		out[v.Contest] = v
	}
	return out, nil
}

// Parse parses a stored version; its Version is the stored number.
func (v Version) Parse() (*contest.Contest, error) {
	c, err := contest.Parse(fmt.Sprintf("%s@v%d", v.Contest, v.Version), v.Body)
	if err != nil {
		return nil, err
	}
	c.Version = v.Version
	return c, nil
}

// Reconcile merges the contests of contests_dir with the stored versions and
// returns the contests to put in force:
//   - a file contest with no stored version is stored as version 1;
//   - when the latest stored version came from a file and the file changed,
//     the file is stored as the next version;
//   - when the latest stored version came from the API, it overrides the file;
//   - a contest stored through the API and absent from the files is loaded;
//     one that came from a file that is gone is not (removing the file
//     retires it, as before versions existed).
func (s *Store) Reconcile(ctx context.Context, files []*contest.Contest, log *slog.Logger) ([]*contest.Contest, error) {
	latest, err := s.Latest(ctx)
	if err != nil {
		return nil, err
	}
	var out []*contest.Contest
	inFiles := map[string]bool{}
	for _, f := range files {
		inFiles[f.ID] = true
		st, ok := latest[f.ID]
		sum := fmt.Sprintf("%x", sha256.Sum256(f.Source))
		switch {
		case ok && st.Source == SourceAPI:
			c, err := st.Parse()
			if err != nil {
				log.Error("stored version does not parse; using the file", "contest", f.ID, "version", st.Version, "err", err)
				out = append(out, f)
				continue
			}
			if sum != st.SHA256 {
				log.Warn("contest file differs from the version put through the admin API; the API version is in force",
					"contest", f.ID, "version", st.Version, "file", f.File)
			}
			out = append(out, c)
		case ok && sum == st.SHA256:
			f.Version = st.Version
			out = append(out, f)
		default:
			v, _, err := s.Put(ctx, f.ID, SourceFile, f.Source)
			if err != nil {
				return nil, err
			}
			f.Version = v.Version
			log.Info("contest version stored from file", "contest", f.ID, "version", v.Version, "file", f.File)
			out = append(out, f)
		}
	}
	for id, st := range latest {
		if inFiles[id] || st.Source != SourceAPI {
			continue
		}
		c, err := st.Parse()
		if err != nil {
			log.Error("stored version does not parse; contest not loaded", "contest", id, "version", st.Version, "err", err)
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
