package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/rewards"
)

// cmdLint checks contest files (and their rewards blocks); exit 1 with file:line errors.
func cmdLint(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: rankstream contest lint FILE…")
		return 2
	}
	bad := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			bad++
			continue
		}
		c, err := contest.Parse(f, data)
		if err == nil {
			_, err = rewards.ParseRules(c)
		}
		if err != nil {
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
