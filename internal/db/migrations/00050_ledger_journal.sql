-- A narrower shape for grants, the ledger and the outbox (CONTRACT.md §7,
-- docs/rewards.md, BENCHMARKS.md "Payouts of a 1M-entry final board"):
--
-- * ledger_journal: a grant's balanced double-entry posting as ONE row
--   (debit account, credit account, one amount, one currency, keyed by
--   reward_id) instead of two rows, a (reward_id, account) index and a
--   balance trigger; balanced by construction. It also holds what the
--   grants table held (via, granted_at), so grants is a view of it, and
--   ledger_postings is the view of its two legs (+amount on the debit,
--   -amount on the credit). Write-once like the tables it replaces.
-- * outbox: reward_id, kind of message and sent_at only; the relay builds
--   the subject and the body from the reward row (which a grant never
--   changes). The journal's primary key is what refuses a second posting
--   of a reward (its outbox row is written in the same transaction).
-- * reward_board_parts: a board's rewards are stored in parts, each its own
--   transaction (several in parallel), then the reward_boards row commits
--   last as the "done" marker; a part's row makes its rewrite a no-op after
--   a crash or in another process.
-- * reward ids and user ids compare in the "C" collation (ASCII ids; same
--   order, cheaper comparisons in the indexes); rewards by user through a
--   hash index, by board through a BRIN index.

-- +goose Up
CREATE TABLE ledger_journal (
    reward_id    text COLLATE "C" PRIMARY KEY,
    debit        text        NOT NULL CHECK (debit LIKE 'pool:%'),
    credit       text        NOT NULL CHECK (credit LIKE 'player:%'),
    amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
    currency     text        NOT NULL,
    via          text        NOT NULL CHECK (via IN ('claim', 'auto')),
    at           timestamptz NOT NULL,
    CHECK (debit <> credit)
);

INSERT INTO ledger_journal (reward_id, debit, credit, amount_minor, currency, via, at)
    SELECT g.reward_id, d.account, c.account, d.amount_minor, d.currency, g.via, g.granted_at
    FROM grants g
    JOIN ledger_postings d ON d.reward_id = g.reward_id AND d.amount_minor > 0
    JOIN ledger_postings c ON c.reward_id = g.reward_id AND c.amount_minor < 0
    ORDER BY g.reward_id;

-- +goose StatementBegin
DO $$
BEGIN
    IF (SELECT count(*) FROM ledger_journal) <> (SELECT count(*) FROM grants)
       OR (SELECT count(*) FROM ledger_postings) <> 2 * (SELECT count(*) FROM grants) THEN
        RAISE EXCEPTION 'rankstream: grants and postings do not pair up; not migrated';
    END IF;
END
$$;
-- +goose StatementEnd

DROP TABLE ledger_postings;
DROP FUNCTION rankstream_ledger_balanced();
DROP TABLE grants;

CREATE TRIGGER ledger_journal_write_once BEFORE UPDATE OR DELETE ON ledger_journal
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER ledger_journal_no_truncate BEFORE TRUNCATE ON ledger_journal
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();

CREATE VIEW grants AS SELECT reward_id, via, at AS granted_at FROM ledger_journal;
CREATE VIEW ledger_postings AS
    SELECT reward_id, debit AS account, amount_minor, currency, at FROM ledger_journal
    UNION ALL
    SELECT reward_id, credit AS account, -amount_minor, currency, at FROM ledger_journal;

DROP INDEX outbox_one_posting;
ALTER TABLE outbox DROP COLUMN subject, DROP COLUMN body;
ALTER TABLE outbox ALTER COLUMN reward_id TYPE text COLLATE "C";

ALTER TABLE rewards ALTER COLUMN reward_id TYPE text COLLATE "C", ALTER COLUMN user_id TYPE text COLLATE "C";
-- A user's rewards (GET /v1/rewards, claims, holds) are found by equality:
-- a hash index, about half the cost of a btree for a board's users that
-- come in random order. A board's rewards (the admin table) are stored
-- together: a BRIN index instead of a btree whose equal keys cost more
-- than the table itself.
DROP INDEX rewards_user;
CREATE INDEX rewards_user ON rewards USING hash (user_id);
DROP INDEX rewards_board;
CREATE INDEX rewards_board ON rewards USING brin (context, ctx_id, window_start, division) WITH (autosummarize = on);

CREATE TABLE reward_board_parts (
    contest_id   text        NOT NULL,
    window_start timestamptz NOT NULL,
    division     text        NOT NULL,
    part         integer     NOT NULL,
    rewards      integer     NOT NULL,
    stored_at    timestamptz NOT NULL,
    PRIMARY KEY (contest_id, window_start, division, part)
);
CREATE TRIGGER reward_board_parts_write_once BEFORE UPDATE OR DELETE ON reward_board_parts
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER reward_board_parts_no_truncate BEFORE TRUNCATE ON reward_board_parts
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();

REVOKE ALL ON ledger_journal, grants, ledger_postings, reward_board_parts FROM PUBLIC;
GRANT SELECT, INSERT ON ledger_journal, reward_board_parts TO rankstream_app;
GRANT SELECT ON grants, ledger_postings TO rankstream_app;

-- +goose Down
-- Not reversible (the stored outbox bodies are gone; the relay builds them).
-- +goose StatementBegin
DO $$
BEGIN
    RAISE EXCEPTION 'rankstream: migration 00050 (ledger journal) cannot be reverted';
END
$$;
-- +goose StatementEnd
