package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/replay"
	"github.com/rankstream/rankstream/snapshotter"
)

// maxDiffLines bounds the differences printed per board.
const maxDiffLines = 50

// verify runs replay.Verify for one window with the stored rule versions
// (or --rules) and prints what it found.
func (r *replayer) verify(ctx context.Context, c *contest.Contest, win contest.Window) (int, error) {
	run := func(ctx context.Context, version int, upTo uint64, cut []uint64) (*replay.Result, error) {
		rc := c
		if r.f.rules == "" {
			var err error
			if rc, err = r.contestVersion(ctx, version); err != nil {
				return nil, err
			}
		}
		rules, err := r.rulesFor(ctx, rc)
		if err != nil {
			return nil, err
		}
		return r.replayCut(ctx, rules, win, upTo, cut)
	}
	v, err := replay.Verify(ctx, snapshotter.NewStore(r.conn.DB), c.ID, win.Key(), run)
	if err != nil {
		return exitError, err
	}
	if v.NoSnapshot {
		fmt.Fprintf(r.stdout, "DIFF %s window %s: no snapshot stored to verify against\n", c.ID, win.Start.Format(time.RFC3339))
		return exitDiff, nil
	}
	for _, b := range v.Boards {
		for _, p := range b.Chain {
			fmt.Fprintf(r.stdout, "CHAIN BROKEN %s: %s\n", boardName(b.ID), p)
		}
	}
	for i := range v.Boards {
		r.printBoardCheck(&v.Boards[i])
	}
	for _, id := range contest.SortedBoardIDs(v.Extra) {
		fmt.Fprintf(r.stdout, "DIFF %s: replay has %d entries, no snapshot stored\n", boardName(id), len(v.Extra[id]))
	}
	if !v.OK() {
		return exitDiff, nil
	}
	return 0, nil
}

func (r *replayer) printBoardCheck(b *replay.BoardCheck) {
	s := b.Snapshot
	if b.StreamShort {
		fmt.Fprintf(r.stdout, "DIFF %s: the stream ends at seq %d, before the snapshot's %d\n", boardName(b.ID), b.StreamLast, s.EventsSeq)
	}
	desc := fmt.Sprintf("snapshot #%d (%s, rule version %d, events seq %d, %d entries, sha256 %s",
		s.ID, s.Kind, s.RuleVersion, s.EventsSeq, s.Entries, hex.EncodeToString(s.StandingsHash[:]))
	if b.RowsHash != s.StandingsHash {
		desc += ", but its rows now hash to " + hex.EncodeToString(b.RowsHash[:])
	}
	desc += ")"
	if len(b.Diff) == 0 && b.Hash == s.StandingsHash {
		fmt.Fprintf(r.stdout, "OK %s: replay equals %s\n", boardName(b.ID), desc)
		return
	}
	fmt.Fprintf(r.stdout, "DIFF %s: replay (%d entries, sha256 %s) differs from %s\n",
		boardName(b.ID), len(b.Rows), hex.EncodeToString(b.Hash[:]), desc)
	for i, l := range b.Diff {
		if i == maxDiffLines {
			fmt.Fprintf(r.stdout, "  … %d more differences\n", len(b.Diff)-i)
			break
		}
		fmt.Fprintln(r.stdout, "  "+l)
	}
}
