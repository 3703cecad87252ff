package snapshotter_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rankstream/rankstream/snapshotter"
)

// TestCutStoredAndHashed: a snapshot's per-partition cut is stored, read
// back, and covered by its hash; a snapshot without one keeps the hash it
// had before cuts existed.
func TestCutStoredAndHashed(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openStore(t)
	h0 := write(t, s, snapshotter.KindHourly, makeRows(10, 0), 5)
	if h0.EventsCut != nil || h0.Hash != snapshotter.SnapshotHash(&h0) {
		t.Fatalf("snapshot without a cut: %+v", h0)
	}
	cut := []uint64{7, 0, 12, 9}
	h, err := s.Write(ctx, &snapshotter.Snapshot{Header: snapshotter.Header{Board: testBoard,
		WindowEnd: time.Unix(testBoard.Window, 0).Add(time.Hour), Kind: snapshotter.KindHourly, RuleVersion: 2,
		EventsSeq: 12, EventsCut: cut, ScoresSeq: 30}, Rows: makeRows(10, 1)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.LatestHeader(ctx, testBoard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.EventsCut, cut) || got.Hash != h.Hash {
		t.Fatalf("read back: cut %v hash %x, wrote %v %x", got.EventsCut, got.Hash, cut, h.Hash)
	}
	other := *got
	other.EventsCut = []uint64{7, 0, 12, 8}
	if snapshotter.SnapshotHash(&other) == got.Hash {
		t.Fatal("the cut is not covered by the snapshot hash")
	}
	if problems, err := s.VerifyChain(ctx, testBoard); err != nil || len(problems) != 0 {
		t.Fatalf("chain: %v %v", problems, err)
	}
}
