package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/rewards"
)

// printPayouts prints a board's top rows with what each would win under
// the draft's rewards block (computed exactly as the rewards stage would
// from a final snapshot with these standings), then the board's totals.
func printPayouts(w io.Writer, r *rewards.Rules, id contest.BoardID, hash [32]byte, rows []aggregator.Row, top int) error {
	entries := make([]rewards.Entry, len(rows))
	for i, row := range rows {
		entries[i] = rewards.Entry{Pos: row.Pos, User: row.User, Score: row.Standing.Score}
	}
	b := rewards.Board{Contest: id.Contest, Window: time.Unix(id.Window, 0).UTC(), Division: id.Division, StandingsHash: hash}
	res, err := rewards.Compute(r, b, entries)
	if err != nil {
		return err
	}
	won := make(map[int]int64, len(res.Payouts))
	for _, p := range res.Payouts {
		won[p.Pos] = p.AmountMinor
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "pos\tuser\tscore\tpayout_minor\t\n")
	for i, row := range rows {
		if top > 0 && i >= top {
			break
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t\n", row.Pos, row.User, row.Standing.Score, won[row.Pos])
	}
	tw.Flush()
	if top > 0 && len(rows) > top {
		fmt.Fprintf(w, "… %d more\n", len(rows)-top)
	}
	fmt.Fprintf(w, "payouts (%s, %s): %d winners, %d of pool %d %s paid\n", r.Distribution, r.Kind, len(res.Payouts),
		res.Total(), r.TotalMinor, r.Currency)
	if res.Draw != nil {
		fmt.Fprintf(w, "tickets draw: seed %s, %d tickets, %d prizes drawn\n", res.Draw.Seed, res.Draw.Tickets, len(res.Draw.Draws))
	}
	return nil
}
