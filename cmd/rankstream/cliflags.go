package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Synopses of the commands: the first line of each command's usage.
const (
	synRun      = "rankstream run [--config FILE] [--only ingest,aggregator,api,…]"
	synLoadgen  = "rankstream loadgen [--config FILE] [--nats URL | --http URL] --rate R --duration D"
	synLint     = "rankstream contest lint FILE…"
	synContest  = "rankstream contest lint FILE…   (the only contest subcommand)"
	synReplay   = "rankstream replay [--config FILE] --contest C [--window W] [--rules FILE] [--verify] [--top N]"
	synSimulate = "rankstream simulate [--config FILE] --rules FILE --from T --to T [--top N]"
	synHealth   = "rankstream health [--url URL] [--timeout D]"
)

// parseFlags parses a command's flags (CONTRACT.md §8): --help or -h prints
// the usage on stdout (exit 0); a bad flag or a stray argument prints the
// error and the usage on stderr (exit 2). done reports that the command must
// return code now. With positional false any argument left after the flags is
// a stray one.
func parseFlags(fs *flag.FlagSet, synopsis string, args []string, positional bool, stdout, stderr io.Writer) (code int, done bool) {
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, fs, synopsis)
		return 0, true
	case err != nil:
		return usageError(stderr, fs, synopsis, "%v", err), true
	case !positional && fs.NArg() > 0:
		return usageError(stderr, fs, synopsis, "unexpected argument %q", fs.Arg(0)), true
	}
	return 0, false
}

// usageError prints "rankstream <cmd>: <msg>" and the usage on w and
// returns the exit code of a bad invocation, 2.
func usageError(w io.Writer, fs *flag.FlagSet, synopsis, format string, args ...any) int {
	fmt.Fprintf(w, "rankstream %s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	printUsage(w, fs, synopsis)
	return exitError
}

func printUsage(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprintf(w, "usage: %s\n", synopsis)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
