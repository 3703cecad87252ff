package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/rewards"
)

// cmdLint checks contest files (and their rewards blocks) and mission files
// (a file with a top-level "steps" key is a mission); exit 1 with file:line errors.
func cmdLint(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("contest lint", flag.ContinueOnError)
	if code, done := parseFlags(fs, synLint, args, true, stdout, stderr); done {
		return code
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageError(stderr, fs, synLint, "no FILE given")
	}
	bad := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			bad++
			continue
		}
		if err := lintOne(f, data); err != nil {
			var le contest.LintErrors
			if errors.As(err, &le) {
				for _, e := range le {
					fmt.Fprintln(stderr, e.Error())
				}
			} else {
				fmt.Fprintln(stderr, err)
			}
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", f)
	}
	if bad > 0 {
		return 1
	}
	return 0
}

// cmdContest dispatches the contest subcommands (only lint).
func cmdContest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("contest", flag.ContinueOnError)
	if len(args) > 0 && args[0] == "lint" {
		return cmdLint(args[1:], stdout, stderr)
	}
	if code, done := parseFlags(fs, synContest, args, true, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(stderr, fs, synContest, "missing subcommand")
	}
	return usageError(stderr, fs, synContest, "unknown subcommand %q", fs.Arg(0))
}

// lintOne parses one contest (with its rewards block) or mission file.
func lintOne(file string, data []byte) error {
	if contest.IsMissionFile(data) {
		_, err := contest.ParseMission(file, data)
		return err
	}
	c, err := contest.Parse(file, data)
	if err == nil {
		_, err = rewards.ParseRules(c)
	}
	return err
}
