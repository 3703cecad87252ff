-- Snapshots of board standings (WORM). One header row per snapshot, one row
-- per position. Each header carries the sha256 of its standings (canonical
-- encoding, docs/snapshots.md), the hash of the previous snapshot of the same
-- board and its own hash over both: a chain that shows any later change.

-- +goose Up
CREATE TABLE snapshots (
    id             bigint      PRIMARY KEY,
    contest_id     text        NOT NULL,
    window_start   timestamptz NOT NULL,
    window_end     timestamptz NOT NULL,
    division       text        NOT NULL,
    board_seq      integer     NOT NULL CHECK (board_seq >= 1),
    kind           text        NOT NULL CHECK (kind IN ('hourly', 'final')),
    rule_version   integer     NOT NULL,
    events_seq     bigint      NOT NULL,
    scores_seq     bigint      NOT NULL,
    entries        integer     NOT NULL,
    standings_hash bytea       NOT NULL CHECK (length(standings_hash) = 32),
    prev_hash      bytea       CHECK (prev_hash IS NULL OR length(prev_hash) = 32),
    hash           bytea       NOT NULL CHECK (length(hash) = 32),
    taken_at       timestamptz NOT NULL,
    UNIQUE (contest_id, window_start, division, board_seq)
);
CREATE UNIQUE INDEX snapshots_one_final ON snapshots (contest_id, window_start, division) WHERE kind = 'final';
CREATE SEQUENCE snapshot_ids;

-- No primary key and no foreign key on purpose: both would cost per row on a
-- 1M-row COPY. Rows are written once, in one transaction with their header,
-- and (snapshot_id, pos) is unique by construction; the standings hash in the
-- header proves them. BRIN suits the append-only order of snapshot_id.
CREATE TABLE snapshot_rows (
    snapshot_id bigint           NOT NULL,
    pos         integer          NOT NULL,
    user_id     text             NOT NULL,
    score       bigint           NOT NULL,
    max_mult    double precision NOT NULL,
    rounds      bigint           NOT NULL,
    finish      bigint           NOT NULL
);
CREATE INDEX snapshot_rows_snapshot ON snapshot_rows USING brin (snapshot_id);

CREATE TRIGGER snapshots_write_once BEFORE UPDATE OR DELETE ON snapshots
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER snapshots_no_truncate BEFORE TRUNCATE ON snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER snapshot_rows_write_once BEFORE UPDATE OR DELETE ON snapshot_rows
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER snapshot_rows_no_truncate BEFORE TRUNCATE ON snapshot_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();

REVOKE ALL ON snapshots, snapshot_rows, snapshot_ids FROM PUBLIC;
GRANT SELECT, INSERT ON snapshots, snapshot_rows TO rankstream_app;
GRANT USAGE, SELECT ON SEQUENCE snapshot_ids TO rankstream_app;

-- +goose Down
DROP TABLE snapshot_rows;
DROP TABLE snapshots;
DROP SEQUENCE snapshot_ids;
