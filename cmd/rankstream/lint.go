package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rankstream/rankstream/contest"
)

// cmdLint checks contest and mission files (a file with a top-level "steps"
// key is a mission); exit 1 with file:line errors.
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

func lintOne(file string, data []byte) error {
	if contest.IsMissionFile(data) {
		_, err := contest.ParseMission(file, data)
		return err
	}
	_, err := contest.Parse(file, data)
	return err
}
