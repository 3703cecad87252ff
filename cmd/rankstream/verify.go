package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rankstream/rankstream/aggregator"
	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/snapshotter"
)

// maxDiffLines bounds the differences printed per board.
const maxDiffLines = 50

// verify compares the replay of a window with its stored snapshots: for each
// division, the final snapshot, else the latest (replayed up to the EVENTS
// sequence it covers), and checks each board's hash chain.
func (r *replayer) verify(ctx context.Context, c *contest.Contest, win contest.Window) (int, error) {
	store := snapshotter.NewStore(r.conn.DB)
	divs, err := store.Divisions(ctx, c.ID, win.Key())
	if err != nil {
		return exitError, err
	}
	if len(divs) == 0 {
		fmt.Fprintf(r.stdout, "DIFF %s window %s: no snapshot stored to verify against\n", c.ID, win.Start.Format(time.RFC3339))
		return exitDiff, nil
	}
	code := 0
	snaps := map[contest.BoardID]*snapshotter.Snapshot{}
	for _, d := range divs {
		id := contest.BoardID{Contest: c.ID, Window: win.Key(), Division: d}
		problems, err := store.VerifyChain(ctx, id)
		if err != nil {
			return exitError, err
		}
		for _, p := range problems {
			fmt.Fprintf(r.stdout, "CHAIN BROKEN %s: %s\n", boardName(id), p)
			code = exitDiff
		}
		s, err := store.FinalSnapshot(ctx, id)
		if errors.Is(err, snapshotter.ErrNoSnapshot) {
			s, err = store.LatestSnapshot(ctx, id)
		}
		if err != nil {
			return exitError, err
		}
		snaps[id] = s
	}
	// One replay per distinct (events seq, rule version): usually one.
	type key struct {
		upTo    uint64
		cut     string // the per-partition cut of a shared-mode snapshot
		version int
	}
	results := map[key]map[contest.BoardID][]aggregator.Row{}
	for _, id := range sortedIDs(snaps) {
		s := snaps[id]
		k := key{version: s.RuleVersion}
		if s.Kind != snapshotter.KindFinal {
			k.upTo = s.EventsSeq
			k.cut = fmt.Sprint(s.EventsCut)
		}
		if _, done := results[k]; !done {
			rc := c
			if r.f.rules == "" {
				if rc, err = r.contestVersion(ctx, s.RuleVersion); err != nil {
					return exitError, err
				}
			}
			rules, err := r.rulesFor(ctx, rc)
			if err != nil {
				return exitError, err
			}
			var cut []uint64
			if s.Kind != snapshotter.KindFinal {
				cut = s.EventsCut
			}
			res, err := r.replayCut(ctx, rules, win, k.upTo, cut)
			if err != nil {
				return exitError, err
			}
			if k.upTo > 0 && res.LastSeq < k.upTo {
				fmt.Fprintf(r.stdout, "DIFF %s: the stream ends at seq %d, before the snapshot's %d\n", boardName(id), res.LastSeq, k.upTo)
				code = exitDiff
			}
			results[k] = res.Boards
		}
		rows := results[k][id]
		got := snapshotter.StandingsHash(rows)
		lines := diffRows(s.Rows, rows)
		desc := fmt.Sprintf("snapshot #%d (%s, rule version %d, events seq %d, %d entries, sha256 %s",
			s.ID, s.Kind, s.RuleVersion, s.EventsSeq, s.Entries, hex.EncodeToString(s.StandingsHash[:]))
		if rh := snapshotter.StandingsHash(s.Rows); rh != s.StandingsHash {
			desc += ", but its rows now hash to " + hex.EncodeToString(rh[:])
		}
		desc += ")"
		if len(lines) == 0 && got == s.StandingsHash {
			fmt.Fprintf(r.stdout, "OK %s: replay equals %s\n", boardName(id), desc)
			continue
		}
		code = exitDiff
		fmt.Fprintf(r.stdout, "DIFF %s: replay (%d entries, sha256 %s) differs from %s\n",
			boardName(id), len(rows), hex.EncodeToString(got[:]), desc)
		for i, l := range lines {
			if i == maxDiffLines {
				fmt.Fprintf(r.stdout, "  … %d more differences\n", len(lines)-i)
				break
			}
			fmt.Fprintln(r.stdout, "  "+l)
		}
	}
	// Boards the replay has and no snapshot does.
	for _, boards := range results {
		for id, rows := range boards {
			if _, ok := snaps[id]; !ok {
				code = exitDiff
				fmt.Fprintf(r.stdout, "DIFF %s: replay has %d entries, no snapshot stored\n", boardName(id), len(rows))
			}
		}
	}
	return code, nil
}

func rowString(r aggregator.Row) string {
	fin := "-"
	if r.Standing.Finish >= 0 {
		fin = time.Unix(0, r.Standing.Finish).UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s score %d rounds %d max_mult %s finish %s", r.User, r.Standing.Score, r.Standing.Rounds,
		strconv.FormatFloat(r.Standing.MaxMult, 'g', 6, 64), fin)
}

func sameRow(a, b aggregator.Row) bool {
	return a.User == b.User && a.Standing.Score == b.Standing.Score && a.Standing.Rounds == b.Standing.Rounds &&
		a.Standing.MaxMult == b.Standing.MaxMult && a.Standing.Finish == b.Standing.Finish
}

// diffRows lists, position by position, where the snapshot and the replay
// differ, then the users present in only one of them.
func diffRows(snap, rep []aggregator.Row) []string {
	var out []string
	n := max(len(snap), len(rep))
	for i := 0; i < n; i++ {
		switch {
		case i >= len(snap):
			out = append(out, fmt.Sprintf("pos %d: snapshot (none) | replay %s", i+1, rowString(rep[i])))
		case i >= len(rep):
			out = append(out, fmt.Sprintf("pos %d: snapshot %s | replay (none)", i+1, rowString(snap[i])))
		case !sameRow(snap[i], rep[i]):
			out = append(out, fmt.Sprintf("pos %d: snapshot %s | replay %s", i+1, rowString(snap[i]), rowString(rep[i])))
		}
	}
	inSnap := make(map[string]int, len(snap))
	for _, r := range snap {
		inSnap[r.User] = r.Pos
	}
	inRep := make(map[string]bool, len(rep))
	for _, r := range rep {
		inRep[r.User] = true
		if _, ok := inSnap[r.User]; !ok {
			out = append(out, fmt.Sprintf("user %s: only in the replay (pos %d, score %d)", r.User, r.Pos, r.Standing.Score))
		}
	}
	for _, r := range snap {
		if !inRep[r.User] {
			out = append(out, fmt.Sprintf("user %s: only in the snapshot (pos %d, score %d)", r.User, r.Pos, r.Standing.Score))
		}
	}
	return out
}
