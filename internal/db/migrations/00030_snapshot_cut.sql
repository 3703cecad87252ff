-- The cut a snapshot reflects when the scorer is shared among processes:
-- events_cut[p + 1] is the last EVENTS sequence of partition p whose effect
-- is in the standings (nothing after it). NULL: the standings reflect
-- exactly the events up to events_seq (single-process barrier, final).
-- See docs/snapshots.md.

-- +goose Up
ALTER TABLE snapshots ADD COLUMN events_cut bigint[];

-- +goose Down
ALTER TABLE snapshots DROP COLUMN events_cut;
