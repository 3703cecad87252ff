package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/config"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/streams"
)

// cmdRun runs the pipeline until SIGINT/SIGTERM.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "config file (YAML); RANKSTREAM_* environment overrides it")
	only := fs.String("only", "", "comma-separated stages to run (default all): "+strings.Join(app.AllStages, ","))
	if code, done := parseFlags(fs, synRun, args, false, stdout, stderr); done {
		return code
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := newLogger(stderr, cfg.Log.Level)
	// The live process's GC target (GOGC 400 under a soft memory limit; an
	// operator's GOGC or GOMEMLIMIT wins), for the process's life.
	defer aggregator.TuneLiveGC(ctx)()
	opts := appOptions(cfg)
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
	}
	a, err := app.New(ctx, opts, log)
	if err != nil {
		fmt.Fprintln(stderr, "rankstream:", err)
		return 1
	}
	fmt.Fprintf(stdout, "rankstream listening on %s (nats %s)\n", a.BaseURL(), a.Streams.SafeURL())
	if err := a.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "rankstream:", err)
		return 1
	}
	return 0
}

func appOptions(cfg *config.Config) app.Options {
	o := app.Options{
		HTTPAddr: cfg.HTTP.Addr,
		Streams: streams.Options{
			URL:          cfg.NATS.URL,
			Port:         cfg.NATS.Port,
			StoreDir:     cfg.NATS.StoreDir,
			Partitions:   cfg.NATS.Partitions,
			DedupWindow:  cfg.DedupWindow,
			SyncInterval: cfg.NATS.SyncInterval,
			Replicas:     cfg.NATS.Replicas,
			Client:       natsClient(cfg),
			System:       cfg.NATS.SystemCredentials,
			EventsMaxAge: cfg.Retention.Events,
		},
		RedisURL:         cfg.Redis.URL,
		RedisPrefix:      cfg.Redis.Prefix,
		ContestsDir:      cfg.ContestsDir,
		MissionsDir:      cfg.MissionsDir,
		Providers:        cfg.Providers,
		MaxFutureSkew:    cfg.MaxFutureSkew,
		PostgresURL:      cfg.Postgres.URL,
		ClickHouseURL:    cfg.ClickHouse.URL,
		AdminToken:       cfg.AdminToken,
		Instance:         cfg.Aggregator.Instance,
		LeaseTTL:         cfg.Aggregator.LeaseTTL,
		BoardGroups:      cfg.Aggregator.BoardGroups,
		SnapshotInterval: cfg.Aggregator.SnapshotInterval,
		FinishedWindows:  cfg.Retention.FinishedWindows,
		Limits: app.Limits{LoginPerMinute: cfg.Limits.LoginPerMinute, QueryPerSecond: cfg.Limits.QueryPerSecond,
			WSPerMinute: cfg.Limits.WSPerMinute, IngestPerSecond: cfg.Limits.IngestPerSecond},
		TLSCert: cfg.HTTP.TLS.Cert, TLSKey: cfg.HTTP.TLS.Key, PseudonymKey: cfg.Privacy.PseudonymKey,
		Live: app.LiveOptions{JWTSecret: cfg.JWT.Secret, JWTIssuer: cfg.JWT.Issuer, JWTTTL: cfg.JWT.TTL,
			JWTPublicKeyFile: cfg.JWT.PublicKeyFile, NATSPlayerAuth: cfg.NATS.Auth == config.NATSAuthPlayers},
	}
	o.FinishedWindows = cfg.Retention.FinishedWindows
	o.CatchupGCPercent = cfg.Aggregator.ScorerCatchupGCPercent()
	o.CatchupMemoryLimit = int64(cfg.Aggregator.CatchupMemoryLimitMB) << 20
	return o
}
