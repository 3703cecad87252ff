// Package db owns rankstream's Postgres schema: the migrations (embedded SQL,
// applied with pressly/goose under a session lock so that several processes
// may start at once) and the connection pool the stages share.
//
// Migrations run as the user of the URL, which owns the schema. The pool then
// works as AppRole (SET ROLE on every connection): that role may SELECT and
// INSERT but holds no UPDATE, DELETE or TRUNCATE right on the write-once
// tables, and triggers refuse those statements for every role as well.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// AppRole is the role the application works as.
const AppRole = "rankstream_app"

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNoURL is returned when no Postgres URL is configured.
var ErrNoURL = errors.New("db: no postgres url")

// Migrate creates the database named in dsn when it does not exist (using
// the server's "postgres" database), then applies every pending migration.
func Migrate(ctx context.Context, dsn string, logger *slog.Logger) error {
	if dsn == "" {
		return ErrNoURL
	}
	if logger == nil {
		logger = slog.Default()
	}
	log := logger.With("component", "db")
	if err := ensureDatabase(ctx, dsn, log); err != nil {
		return err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("db: parse url: %w", err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	defer sqldb.Close()
	return migrate(ctx, sqldb, log)
}

func migrate(ctx context.Context, sqldb *sql.DB, log *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("db: locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, sub,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("db: goose: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// Open migrates the database, then returns a pool whose connections work as
// AppRole.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*pgxpool.Pool, error) {
	if err := Migrate(ctx, dsn, logger); err != nil {
		return nil, err
	}
	return OpenApp(ctx, dsn)
}

// OpenApp returns a pool working as AppRole without migrating.
func OpenApp(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("db: parse url: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET ROLE "+AppRole); err != nil {
			return fmt.Errorf("db: set role %s: %w", AppRole, err)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: ping %s: %w", Redact(dsn), err)
	}
	return pool, nil
}

// ensureDatabase creates the database of dsn when the server says it does
// not exist (SQLSTATE 3D000).
func ensureDatabase(ctx context.Context, dsn string, log *slog.Logger) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		return fmt.Errorf("db: connect %s: %w", Redact(dsn), err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("db: parse url: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("db: connect to create %s: %w", name, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile
			return nil
		}
		return fmt.Errorf("db: create database %s: %w", name, err)
	}
	log.Info("database created", "database", name)
	return nil
}

// Redact returns dsn without its password, for messages.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return strings.Replace(u.String(), "xxxxx", "***", 1)
}
