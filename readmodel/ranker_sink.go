package readmodel

import (
	"context"
	"fmt"

	"github.com/rankstream/rankstream/aggregator"
)

// RankerSink writes the ranker's ticks to the Redis read model: an
// aggregator.Sink (the contract is in aggregator/ranker_sink.go). A tick's
// changes go in one MULTI/EXEC (Writer.Apply), so a failed write leaves
// nothing of it; a Full board is replaced atomically (Writer.Replace).
// Both are idempotent for absolute keys.
type RankerSink struct {
	w *Writer
}

// NewRankerSink is the sink of w.
func NewRankerSink(w *Writer) *RankerSink { return &RankerSink{w: w} }

// Name is "redis".
func (s *RankerSink) Name() string { return "redis" }

// Write applies the batch's changes, then replaces its full boards.
func (s *RankerSink) Write(ctx context.Context, batch *aggregator.Batch) error {
	var changes []BoardChange
	for i := range batch.Boards {
		d := &batch.Boards[i]
		if d.Full {
			continue
		}
		changes = append(changes, boardChange(d, batch))
	}
	if err := s.w.Apply(ctx, changes); err != nil {
		return err
	}
	for i := range batch.Boards {
		d := &batch.Boards[i]
		if !d.Full {
			continue
		}
		if err := s.w.Replace(ctx, d.ID, meta(d, batch), d.Entries); err != nil {
			return fmt.Errorf("readmodel: replace board %s: %w", d.ID, err)
		}
	}
	return nil
}

// Release drops the boards of a released window (aggregator.Releaser).
func (s *RankerSink) Release(ctx context.Context, contestID string, window int64, divisions []string) error {
	return s.w.Release(ctx, contestID, window, divisions)
}

func meta(d *aggregator.BoardDelta, batch *aggregator.Batch) BoardMeta {
	return BoardMeta{NWords: d.NWords, Order: d.Order, UpdatedAt: batch.At, ExpireAt: d.ExpireAt}
}

// boardChange is the read-model change of one board delta. The keys are
// the ranker's: Apply reads them and keeps none.
func boardChange(d *aggregator.BoardDelta, batch *aggregator.Batch) BoardChange {
	bc := BoardChange{ID: d.ID, Meta: meta(d, batch)}
	for _, u := range d.Changed {
		if u.Removed {
			if u.OldKey != nil {
				bc.Deletes = append(bc.Deletes, DeleteEntry{User: u.User, OldKey: u.OldKey})
			}
			continue
		}
		bc.Upserts = append(bc.Upserts, Upsert{User: u.User, Key: u.Key, OldKey: u.OldKey})
	}
	return bc
}
