package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

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
	if err != nil {
		return withRewardsErrors(err, file, data)
	}
	_, err = rewards.ParseRules(c)
	return err
}

// withRewardsErrors adds to the lint errors of a contest file that did not
// parse those of its rewards block, so that one lint run lists every
// error of the file. The block is linted as in a contest of the file's
// leaderboard.order.
func withRewardsErrors(err error, file string, data []byte) error {
	var le contest.LintErrors
	var doc struct {
		Rewards     map[string]any `yaml:"rewards"`
		Leaderboard struct {
			Order string `yaml:"order"`
		} `yaml:"leaderboard"`
	}
	if !errors.As(err, &le) || rewardsRefused(le) || yaml.Unmarshal(data, &doc) != nil || len(doc.Rewards) == 0 {
		return err
	}
	stand := &contest.Contest{File: file, Source: data, Rewards: doc.Rewards,
		Leaderboard: contest.Leaderboard{Order: doc.Leaderboard.Order}}
	var re contest.LintErrors
	if _, rerr := rewards.ParseRules(stand); !errors.As(rerr, &re) {
		return err
	}
	all := append(append(contest.LintErrors(nil), le...), re...)
	sort.SliceStable(all, func(i, j int) bool {
		return all[i].Line < all[j].Line || (all[i].Line == all[j].Line && all[i].Col < all[j].Col)
	})
	return all
}

// rewardsRefused reports that the contest linter refused the rewards block
// itself (not a mapping, over its size budget): nothing more to lint there.
func rewardsRefused(le contest.LintErrors) bool {
	for _, e := range le {
		if strings.HasPrefix(e.Msg, "rewards") {
			return true
		}
	}
	return false
}
