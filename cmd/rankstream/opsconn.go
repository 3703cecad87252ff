package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/schollz/progressbar/v3"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/config"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/streams"
)

// opsConn is what replay and simulate read from: the EVENTS stream of the
// running deployment (nats.url, else the embedded server on nats.port; when
// none answers, an embedded server of our own on nats.store_dir) and, for
// replay, Postgres.
type opsConn struct {
	JS     jetstream.JetStream
	nc     *nats.Conn
	stopNS func()
	DB     *pgxpool.Pool
}

func (c *opsConn) Close() {
	if c.DB != nil {
		c.DB.Close()
	}
	if c.nc != nil {
		c.nc.Close()
	}
	if c.stopNS != nil {
		c.stopNS()
	}
}

// openOps loads the config and connects to the recorded stream for the
// command what (replay, simulate), with the replay's GC setting. On failure
// it says so on stderr and returns a nil connection.
func openOps(cfgPath, what string, stderr io.Writer) (*config.Config, *slog.Logger, *opsConn) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, nil, nil
	}
	log := newLogger(stderr, "warn")
	replay.TuneGC() // for the process's life
	conn, err := connectNATS(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, what+":", err)
		return nil, nil, nil
	}
	return cfg, log, conn
}

func connectNATS(cfg *config.Config, log *slog.Logger) (*opsConn, error) {
	url := cfg.NATS.URL
	if url == "" {
		url = "nats://127.0.0.1:" + strconv.Itoa(cfg.NATS.Port)
	}
	c := &opsConn{}
	nopts := []nats.Option{nats.Name("rankstream-ops"), nats.Timeout(3 * time.Second)}
	// Operators' credential: nats.credentials or the admin token
	// (docs/security.md); a server without auth ignores it.
	copts, err := natsClientOptions(cfg)
	if err != nil {
		return nil, err
	}
	nopts = append(nopts, copts...)
	nc, err := nats.Connect(url, nopts...)
	if err != nil && cfg.NATS.URL == "" && cfg.NATS.StoreDir != "" {
		// No running server: open the store ourselves, read-only in intent.
		ns, serr := streams.StartEmbedded(streams.Options{Host: "127.0.0.1", Port: -1, StoreDir: cfg.NATS.StoreDir})
		if serr != nil {
			return nil, fmt.Errorf("nats %s: %w; embedded on %s: %w", url, err, cfg.NATS.StoreDir, serr)
		}
		c.stopNS = ns.Shutdown
		log.Info("no nats server answered; opened the store directly", "store_dir", cfg.NATS.StoreDir)
		nc, err = nats.Connect(ns.ClientURL(), nats.Name("rankstream-ops"))
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	c.nc = nc
	if c.JS, err = jetstream.New(nc); err != nil {
		c.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return c, nil
}

// connectPostgres migrates (as the URL's user) and opens the app pool.
func (c *opsConn) connectPostgres(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if cfg.Postgres.URL == "" {
		return db.ErrNoURL
	}
	pool, err := db.Open(ctx, cfg.Postgres.URL, log)
	if err != nil {
		return err
	}
	c.DB = pool
	return nil
}

// loadContestFile parses a rules file holding one contest.
func loadContestFile(path string) (*contest.Contest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	return contest.Parse(path, data)
}

// parseTime takes RFC 3339 or Unix seconds.
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("not an RFC 3339 time or Unix seconds: " + s)
	}
	return t.UTC(), nil
}

// newProgress returns a Progress callback drawing a bar with rate and ETA.
func newProgress(w io.Writer, what string) (func(seq, first, last uint64), func()) {
	var bar *progressbar.ProgressBar
	fn := func(seq, first, last uint64) {
		if bar == nil {
			bar = progressbar.NewOptions64(int64(last-first+1), progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(what), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("events"), progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetWidth(30),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
		}
		_ = bar.Set64(int64(seq - first + 1))
	}
	done := func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}
	return fn, done
}

func boardName(id contest.BoardID) string {
	s := id.Contest + " window " + time.Unix(id.Window, 0).UTC().Format(time.RFC3339)
	if id.Division != "" {
		s += " division " + id.Division
	}
	return s
}

// printStandings prints the top rows of a board as a table.
func printStandings(w io.Writer, rows []aggregator.Row, top int) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pos\tuser\tscore\trounds\tmax_mult\tfinish\t")
	for i, r := range rows {
		if top > 0 && i >= top {
			break
		}
		fin := "-"
		if r.Standing.Finish >= 0 {
			fin = time.Unix(0, r.Standing.Finish).UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t\n", r.Pos, r.User, r.Standing.Score, r.Standing.Rounds,
			strconv.FormatFloat(r.Standing.MaxMult, 'g', 6, 64), fin)
	}
	tw.Flush()
	if top > 0 && len(rows) > top {
		fmt.Fprintf(w, "… %d more\n", len(rows)-top)
	}
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
