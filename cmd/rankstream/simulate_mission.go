package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/replay"
)

// isMissionPath reports whether the rules file is a mission (top-level steps).
func isMissionPath(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && contest.IsMissionFile(data)
}

// simulateMission is simulate for a draft mission file: the progress every
// user would have, and the rewards it would report, over the recorded
// events with ts in [from, to).
func simulateMission(ctx context.Context, cfgPath, rulesPath string, from, to time.Time, top int, noProgress bool, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(rulesPath)
	if err != nil {
		fmt.Fprintln(stderr, "simulate: read rules:", err)
		return exitError
	}
	m, err := contest.ParseMission(rulesPath, data)
	if err != nil {
		fmt.Fprintln(stderr, "simulate:", err)
		return exitError
	}
	rules := contest.NewRegistry(nil)
	rules.SetMissions([]*contest.Mission{m})
	res, code := whatIf(ctx, cfgPath, from, to, noProgress, stderr, "simulate "+m.ID, replay.Options{Rules: rules})
	if res == nil {
		return code
	}
	fmt.Fprintf(stdout, "what-if mission %s (%s) over events with ts in [%s, %s): %d events read\n", m.ID, rulesPath,
		from.Format(time.RFC3339), to.Format(time.RFC3339), res.Events)
	if len(res.Missions) == 0 {
		fmt.Fprintln(stdout, "no progress: no recorded event counts under these rules")
	}
	printMissions(stdout, res.Missions, top)
	return 0
}

// printMissions prints each user's steps (progress/target, * when done) and
// the rewards due, at most top users per window (0: all).
func printMissions(w io.Writer, mps []replay.MissionProgress, top int) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	var win int64 = -1
	n := 0
	for _, mp := range mps {
		if mp.Window.Key() != win {
			win, n = mp.Window.Key(), 0
			tw.Flush()
			fmt.Fprintf(w, "\nwindow %s:\n", mp.Doc.Window)
			fmt.Fprintln(tw, "user\tsteps\trewards due\t")
		}
		if n++; top > 0 && n > top {
			continue
		}
		var steps []string
		for _, s := range mp.Doc.Steps {
			mark := ""
			if s.Done {
				mark = "*"
			}
			steps = append(steps, fmt.Sprintf("%s %d/%d%s", s.ID, s.Progress, s.Target, mark))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", mp.User, strings.Join(steps, ", "), strings.Join(mp.Rewards, ","))
	}
	tw.Flush()
}
