package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/config"
	"github.com/rankstream/rankstream/loadgen"
)

// cmdLoadgen sends synthetic provider traffic through the NATS or HTTP door.
func cmdLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "config file (providers' secrets, NATS port)")
	natsURL := fs.String("nats", "", "NATS URL of the NATS door (default: the configured server)")
	httpURL := fs.String("http", "", "base URL of the HTTP door, e.g. http://127.0.0.1:8080 (instead of NATS)")
	rate := fs.Float64("rate", 1000, "events per second (0 = as fast as possible)")
	dur := fs.Duration("duration", 10*time.Second, "how long (0 = until --count or Ctrl-C)")
	count := fs.Int("count", 0, "stop after this many events")
	users := fs.Int("users", 10000, "distinct users")
	providers := fs.String("providers", "acme", "comma-separated provider ids")
	markets := fs.String("markets", "DE,SE,FI", "comma-separated markets")
	dups := fs.Float64("duplicates", 0.01, "fraction of duplicate re-sends")
	invalid := fs.Float64("invalid", 0, "fraction of invalid events")
	seed := fs.Int64("seed", time.Now().UnixNano(), "random seed")
	batch := fs.Int("batch", 100, "HTTP batch size")
	if code, done := parseFlags(fs, synLoadgen, args, false, stdout, stderr); done {
		return code
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := newLogger(stderr, cfg.Log.Level)
	opts := loadgen.Options{
		Rate: *rate, Duration: *dur, Count: *count, Users: *users,
		Providers: strings.Split(*providers, ","), Markets: strings.Split(*markets, ","),
		DuplicateRate: *dups, InvalidRate: *invalid, Seed: *seed, BatchSize: *batch,
		Secrets: cfg.Providers, Progress: stderr,
	}
	if *dups == 0 {
		opts.DuplicateRate = -1
	}
	if *httpURL != "" {
		opts.HTTPURL = *httpURL
	} else {
		url := *natsURL
		if url == "" {
			url = cfg.NATS.URL
		}
		if url == "" {
			url = fmt.Sprintf("nats://127.0.0.1:%d", cfg.NATS.Port)
		}
		auth, err := loadgenNATSAuth(cfg, opts.Providers)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
		nc, err := nats.Connect(url, append(auth, nats.Name("rankstream-loadgen"))...)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen: connect %s: %v\n", url, err)
			return 1
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		opts.JS = js
	}
	st, err := loadgen.Run(ctx, opts, log)
	fmt.Fprintf(stdout, "sent=%d acked=%d duplicates=%d rejected=%d errors=%d elapsed=%s rate=%.0f/s\n",
		st.Sent, st.Acked, st.Duplicates, st.Rejected, st.Errors, st.Elapsed.Round(time.Millisecond),
		float64(st.Acked)/max(st.Elapsed.Seconds(), 1e-9))
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
