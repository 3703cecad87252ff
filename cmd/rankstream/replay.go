package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/rankstream/rankstream/admin"
	"github.com/rankstream/rankstream/config"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/snapshotter"
)

// Exit codes of replay --verify: 0 equal, 1 any difference (or a broken
// chain, or nothing stored to compare with), 2 usage or operational errors.
const (
	exitDiff  = 1
	exitError = 2
)

type replayFlags struct {
	cfgPath, contestID, window, rules string
	verify, noProgress                bool
	top                               int
}

// cmdReplay recomputes a contest window from the EVENTS stream (CONTRACT §8).
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	var f replayFlags
	fs.StringVar(&f.cfgPath, "config", "", "config file (YAML); RANKSTREAM_* environment overrides it")
	fs.StringVar(&f.contestID, "contest", "", "contest id (required)")
	fs.StringVar(&f.window, "window", "", "window start, RFC 3339 or Unix seconds (default: the current or last window)")
	fs.StringVar(&f.rules, "rules", "", "recompute with this rules file instead of the stored version")
	fs.BoolVar(&f.verify, "verify", false, "compare with the stored snapshot (final, else latest) and its hash chain; exit 1 on any difference")
	fs.IntVar(&f.top, "top", 20, "rows of each board to print (0: all)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no progress bar")
	if code, done := parseFlags(fs, synReplay, args, false, stdout, stderr); done {
		return code
	}
	if f.contestID == "" {
		return usageError(stderr, fs, synReplay, "--contest is required")
	}
	cfg, log, conn := openOps(f.cfgPath, "replay", stderr)
	if conn == nil {
		return exitError
	}
	defer conn.Close()
	if err := conn.connectPostgres(ctx, cfg, log); err != nil {
		if f.verify {
			fmt.Fprintln(stderr, "replay: --verify needs postgres:", err)
			return exitError
		}
		log.Warn("no postgres: using the contest files, no freezes", "err", err)
	}
	r := &replayer{f: f, cfg: cfg, conn: conn, log: log, stdout: stdout, stderr: stderr}
	code, err := r.run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return exitError
	}
	return code
}

type replayer struct {
	f              replayFlags
	cfg            *config.Config
	conn           *opsConn
	log            *slog.Logger
	stdout, stderr io.Writer
	versions       *admin.Store
}

// contestVersion returns the contest to replay with: --rules, else stored
// version v (0: the latest), else the contests_dir file.
func (r *replayer) contestVersion(ctx context.Context, v int) (*contest.Contest, error) {
	if r.f.rules != "" {
		c, err := loadContestFile(r.f.rules)
		if err != nil {
			return nil, err
		}
		c.ID = r.f.contestID
		return c, nil
	}
	if r.versions != nil {
		if v == 0 {
			latest, err := r.versions.Latest(ctx)
			if err != nil {
				return nil, err
			}
			if lv, ok := latest[r.f.contestID]; ok {
				return lv.Parse()
			}
		} else {
			sv, err := r.versions.Version(ctx, r.f.contestID, v)
			if err == nil {
				return sv.Parse()
			}
			if !errors.Is(err, admin.ErrNotFound) {
				return nil, err
			}
		}
	}
	cs, err := contest.LoadDir(r.cfg.ContestsDir)
	for _, c := range cs {
		if c.ID == r.f.contestID {
			return c, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("contest %q: no stored version and no file in %s", r.f.contestID, r.cfg.ContestsDir)
}

// rulesFor builds the rules of one contest with its recorded freezes.
func (r *replayer) rulesFor(ctx context.Context, c *contest.Contest) (*contest.Registry, error) {
	rules := contest.NewRegistry([]*contest.Contest{c})
	if r.versions != nil {
		if err := r.versions.LoadActions(ctx, rules, c.ID); err != nil {
			return nil, err
		}
	}
	return rules, nil
}

func (r *replayer) window(c *contest.Contest) (contest.Window, error) {
	if r.f.window == "" {
		w, ok := c.CurrentWindow(time.Now())
		if !ok {
			return contest.Window{}, fmt.Errorf("contest %q has no window", c.ID)
		}
		return w, nil
	}
	t, err := parseTime(r.f.window)
	if err != nil {
		return contest.Window{}, err
	}
	w, ok := c.WindowAt(t)
	if !ok {
		return contest.Window{}, fmt.Errorf("contest %q has no window starting at %s", c.ID, t.Format(time.RFC3339))
	}
	return w, nil
}

func (r *replayer) replay(ctx context.Context, rules *contest.Registry, win contest.Window, upTo uint64) (*replay.Result, error) {
	return r.replayCut(ctx, rules, win, upTo, nil)
}

// replayCut replays up to upTo and, with a cut (a shared-mode snapshot's),
// each partition p only up to cut[p].
func (r *replayer) replayCut(ctx context.Context, rules *contest.Registry, win contest.Window, upTo uint64, cut []uint64) (*replay.Result, error) {
	opts := replay.Options{JS: r.conn.JS, Rules: rules, Contest: r.f.contestID, Window: win.Key(), HasWindow: true,
		UpTo: upTo, MaxFutureSkew: r.cfg.MaxFutureSkew, Keep: replay.KeepCut(cut)}
	var done func()
	if !r.f.noProgress {
		opts.Progress, done = newProgress(r.stderr, "replay "+r.f.contestID)
	}
	res, err := replay.Run(ctx, opts)
	if done != nil {
		done()
	}
	if err != nil {
		return nil, err
	}
	if err := res.CheckCovers(win, r.cfg.MaxFutureSkew); err != nil {
		return nil, err
	}
	if res.Truncated {
		fmt.Fprintf(r.stderr, "warning: the EVENTS stream starts at sequence %d; earlier events are gone\n", res.FirstSeq)
	}
	fmt.Fprintf(r.stderr, "replayed %d events (to seq %d) in %s (%.0f events/s)\n", res.Events, res.LastSeq,
		res.Elapsed.Round(time.Millisecond), float64(res.Events)/res.Elapsed.Seconds())
	return res, nil
}

func (r *replayer) run(ctx context.Context) (int, error) {
	if r.conn.DB != nil {
		r.versions = admin.NewStore(r.conn.DB)
	}
	c, err := r.contestVersion(ctx, 0)
	if err != nil {
		return exitError, err
	}
	win, err := r.window(c)
	if err != nil {
		return exitError, err
	}
	if r.f.verify {
		return r.verify(ctx, c, win)
	}
	rules, err := r.rulesFor(ctx, c)
	if err != nil {
		return exitError, err
	}
	res, err := r.replay(ctx, rules, win, 0)
	if err != nil {
		return exitError, err
	}
	ids := contest.SortedBoardIDs(res.Boards)
	if len(ids) == 0 {
		fmt.Fprintf(r.stdout, "%s window %s: no standings\n", c.ID, win.Start.Format(time.RFC3339))
	}
	for _, id := range ids {
		rows := res.Boards[id]
		h := snapshotter.StandingsHash(rows)
		fmt.Fprintf(r.stdout, "%s (rule version %d): %d entries, sha256 %s, events to seq %d\n",
			boardName(id), c.Version, len(rows), hex.EncodeToString(h[:]), res.LastSeq)
		printStandings(r.stdout, rows, r.f.top)
	}
	return 0, nil
}
