package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schema is the auth package's own table. It is created with CREATE … IF NOT
// EXISTS under an advisory lock on first use, independent of any migration
// tool, so the package owns its schema alone.
const Schema = `
CREATE TABLE IF NOT EXISTS auth_users (
    user_id       text PRIMARY KEY CHECK (user_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
)`

// schemaLock is the pg_advisory_xact_lock key that serialises schema creation
// across processes (CREATE TABLE IF NOT EXISTS alone races on the catalog).
const schemaLock = 7_270_401_406

// Errors of the store.
var (
	// ErrLoginTaken is a registration of an existing login.
	ErrLoginTaken = errors.New("auth: login taken")
	// ErrUnknownUser is a lookup of a login that is not registered.
	ErrUnknownUser = errors.New("auth: unknown user")
)

// store is the users table. The schema is ensured lazily so the process
// starts while Postgres is down; requests fail until it is up.
type store struct {
	db    *pgxpool.Pool
	mu    sync.Mutex
	ready bool
}

// ensure creates the schema once.
func (s *store) ensure(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("auth: schema: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
		return fmt.Errorf("auth: schema lock: %w", err)
	}
	if _, err := tx.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("auth: schema: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("auth: schema commit: %w", err)
	}
	s.ready = true
	return nil
}

// create inserts a user; ErrLoginTaken when the login exists.
func (s *store) create(ctx context.Context, user, hash string) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, "INSERT INTO auth_users (user_id, password_hash) VALUES ($1, $2)", user, hash)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return ErrLoginTaken
	}
	if err != nil {
		return fmt.Errorf("auth: insert user: %w", err)
	}
	return nil
}

// hash returns a user's password hash; ErrUnknownUser when absent.
func (s *store) hash(ctx context.Context, user string) (string, error) {
	if err := s.ensure(ctx); err != nil {
		return "", err
	}
	var h string
	err := s.db.QueryRow(ctx, "SELECT password_hash FROM auth_users WHERE user_id = $1", user).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrUnknownUser
	}
	if err != nil {
		return "", fmt.Errorf("auth: select user: %w", err)
	}
	return h, nil
}
