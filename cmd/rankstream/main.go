// Command rankstream runs the tournament and leaderboard pipeline and its
// operational tools (CONTRACT.md §8).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `rankstream — real-time tournament leaderboards on NATS JetStream

usage:
  rankstream run [--config FILE] [--only ingest,aggregator,api,snapshotter,notifier,rewards,etl]
  rankstream loadgen [--config FILE] [--nats URL | --http URL] --rate R --duration D
  rankstream contest lint FILE…
  rankstream replay [--config FILE] --contest C [--window W] [--rules FILE] [--verify] [--top N]
  rankstream simulate [--config FILE] --rules FILE --from T --to T [--top N]
  rankstream health [--url URL]        (exit 0 when a process answers 200)

Every config key can be overridden by environment: RANKSTREAM_<PATH>, e.g.
RANKSTREAM_HTTP_ADDR=127.0.0.1:9090.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "loadgen":
		return cmdLoadgen(ctx, args[1:], stdout, stderr)
	case "replay":
		return cmdReplay(ctx, args[1:], stdout, stderr)
	case "simulate":
		return cmdSimulate(ctx, args[1:], stdout, stderr)
	case "health":
		return cmdHealth(ctx, args[1:], stdout, stderr)
	case "contest":
		return cmdContest(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 && args[0] == "help" && args[1] != "help" && !strings.HasPrefix(args[1], "-") {
			// rankstream help CMD: that command's usage
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "rankstream: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv}))
}
