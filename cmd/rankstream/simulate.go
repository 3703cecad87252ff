package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/event"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/rewards"
	"github.com/rankstream/rankstream/snapshotter"
)

// cmdSimulate computes what-if standings of a draft rules file over the
// recorded events whose event time (ts) lies in [from, to). Everything else
// is decided as live: windows, lateness on arrival time, dedup, caps. The
// stream is read in full; nothing is written. Each board is printed with
// the payouts the draft's rewards block would make of it.
func cmdSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "config file (YAML); RANKSTREAM_* environment overrides it")
	rulesPath := fs.String("rules", "", "draft contest file (required)")
	fromS := fs.String("from", "", "events with ts ≥ this (RFC 3339 or Unix seconds; required)")
	toS := fs.String("to", "", "events with ts < this (required)")
	top := fs.Int("top", 20, "rows of each board to print (0: all)")
	noProgress := fs.Bool("no-progress", false, "no progress bar")
	if code, done := parseFlags(fs, synSimulate, args, false, stdout, stderr); done {
		return code
	}
	if *rulesPath == "" || *fromS == "" || *toS == "" {
		return usageError(stderr, fs, synSimulate, "--rules, --from and --to are required")
	}
	from, err := parseTime(*fromS)
	if err == nil {
		var to time.Time
		if to, err = parseTime(*toS); err == nil {
			return simulate(ctx, *cfgPath, *rulesPath, from, to, *top, *noProgress, stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, "simulate:", err)
	return exitError
}

func simulate(ctx context.Context, cfgPath, rulesPath string, from, to time.Time, top int, noProgress bool, stdout, stderr io.Writer) int {
	if !from.Before(to) {
		fmt.Fprintln(stderr, "simulate: --from must be before --to")
		return exitError
	}
	if isMissionPath(rulesPath) {
		return simulateMission(ctx, cfgPath, rulesPath, from, to, top, noProgress, stdout, stderr)
	}
	c, err := loadContestFile(rulesPath)
	if err != nil {
		fmt.Fprintln(stderr, "simulate:", err)
		return exitError
	}
	payout, err := rewards.ParseRules(c)
	if err != nil {
		fmt.Fprintln(stderr, "simulate:", err)
		return exitError
	}
	res, code := whatIf(ctx, cfgPath, from, to, noProgress, stderr, "simulate "+c.ID, replay.Options{
		Rules: contest.NewRegistry([]*contest.Contest{c}), Contest: c.ID})
	if res == nil {
		return code
	}
	fmt.Fprintf(stdout, "what-if %s (%s) over events with ts in [%s, %s): %d events read\n", c.ID, rulesPath,
		from.Format(time.RFC3339), to.Format(time.RFC3339), res.Events)
	ids := contest.SortedBoardIDs(res.Boards)
	if len(ids) == 0 {
		fmt.Fprintln(stdout, "no standings: no recorded event counts under these rules")
	}
	for _, id := range ids {
		rows := res.Boards[id]
		h := snapshotter.StandingsHash(rows)
		fmt.Fprintf(stdout, "\n%s: %d entries, sha256 %s\n", boardName(id), len(rows), hex.EncodeToString(h[:]))
		if payout == nil {
			printStandings(stdout, rows, top)
			continue
		}
		if err := printPayouts(stdout, payout, id, h, rows, top); err != nil {
			fmt.Fprintln(stderr, "simulate:", err)
			return exitError
		}
	}
	if payout == nil {
		fmt.Fprintln(stdout, "\npayouts: none: the rules have no rewards block")
	}
	return 0
}

// whatIf loads the config, connects to the recorded stream and replays it
// with opts, keeping the events whose ts lies in [from, to) (and those that
// do not parse: the engine dead-letters them as live, they count nowhere),
// with a progress bar named label unless noProgress. On failure it says so
// on stderr and returns a nil result and the exit code.
func whatIf(ctx context.Context, cfgPath string, from, to time.Time, noProgress bool, stderr io.Writer,
	label string, opts replay.Options) (*replay.Result, int) {
	cfg, _, conn := openOps(cfgPath, "simulate", stderr)
	if conn == nil {
		return nil, exitError
	}
	defer conn.Close()
	opts.JS, opts.MaxFutureSkew = conn.JS, cfg.MaxFutureSkew
	opts.Keep = func(se *aggregator.StoredEvent) bool {
		ev, err := event.Parse(se.Data)
		return err != nil || (!ev.TS.Before(from) && ev.TS.Before(to))
	}
	var done func()
	if !noProgress {
		opts.Progress, done = newProgress(stderr, label)
	}
	res, err := replay.Run(ctx, opts)
	if done != nil {
		done()
	}
	if err != nil {
		fmt.Fprintln(stderr, "simulate:", err)
		return nil, exitError
	}
	return res, 0
}
