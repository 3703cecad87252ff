-- Rewards, grants, holds, the double-entry ledger and the outbox of the
-- rewards stage (CONTRACT.md §7, docs/rewards.md).
--
-- Write-once (the app role may only SELECT and INSERT, triggers refuse
-- UPDATE, DELETE and TRUNCATE for every role): reward_boards (the payouts
-- of a board, computed once), grants, ledger_postings, reward_history.
-- Mutable state: rewards (status and claim clock), holds, outbox (sent_at).

-- +goose Up
CREATE TABLE reward_boards (
    contest_id    text        NOT NULL,
    window_start  timestamptz NOT NULL,
    division      text        NOT NULL,
    snapshot_id   bigint      NOT NULL,
    rule_version  integer     NOT NULL,
    distribution  text        NOT NULL,
    currency      text        NOT NULL,
    pool_minor    bigint      NOT NULL CHECK (pool_minor >= 0),
    payout_minor  bigint      NOT NULL CHECK (payout_minor >= 0 AND payout_minor <= pool_minor),
    winners       integer     NOT NULL,
    seed          text,
    draw          jsonb,
    computed_at   timestamptz NOT NULL,
    PRIMARY KEY (contest_id, window_start, division)
);

CREATE TABLE rewards (
    reward_id       text        PRIMARY KEY,
    context         text        NOT NULL CHECK (context IN ('contest', 'mission')),
    ctx_id          text        NOT NULL,
    window_start    timestamptz NOT NULL,
    division        text        NOT NULL DEFAULT '',
    step            text        NOT NULL DEFAULT '',
    user_id         text        NOT NULL,
    pos             integer,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    currency        text        NOT NULL,
    kind            text        NOT NULL,
    game            text        NOT NULL DEFAULT '',
    auto_grant      boolean     NOT NULL,
    claim_window_ms bigint      NOT NULL CHECK (claim_window_ms > 0),
    computed_at     timestamptz NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'granted', 'held', 'expired')),
    -- the claim deadline; paused (NULL) while held, with held_left_ms to go
    expires_at      timestamptz,
    held_left_ms    bigint
);
CREATE INDEX rewards_user ON rewards (user_id);
CREATE INDEX rewards_board ON rewards (context, ctx_id, window_start, division);
CREATE INDEX rewards_open ON rewards (status, expires_at) WHERE status IN ('pending', 'held');

CREATE TABLE holds (
    user_id text        PRIMARY KEY,
    reason  text        NOT NULL,
    since   timestamptz NOT NULL
);

CREATE TABLE grants (
    reward_id  text        PRIMARY KEY,
    via        text        NOT NULL CHECK (via IN ('claim', 'auto')),
    granted_at timestamptz NOT NULL
);

-- One ledger transaction per grant, keyed by reward_id: a debit of the pool
-- (positive amount) and a credit of the player (negative), balanced.
CREATE TABLE ledger_postings (
    id           bigserial   PRIMARY KEY,
    reward_id    text        NOT NULL,
    account      text        NOT NULL,
    amount_minor bigint      NOT NULL CHECK (amount_minor <> 0),
    currency     text        NOT NULL,
    at           timestamptz NOT NULL,
    UNIQUE (reward_id, account)
);

-- A statement that adds postings must leave every ledger transaction it
-- touches balanced (per currency): both legs go in with one statement.
-- +goose StatementBegin
CREATE FUNCTION rankstream_ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    SELECT p.reward_id INTO bad FROM ledger_postings p
        WHERE p.reward_id IN (SELECT DISTINCT n.reward_id FROM new_postings n)
        GROUP BY p.reward_id, p.currency HAVING sum(p.amount_minor) <> 0 LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'rankstream: ledger transaction % does not balance', bad
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
    REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION rankstream_ledger_balanced();

CREATE TABLE outbox (
    id         bigserial   PRIMARY KEY,
    reward_id  text        NOT NULL,
    subject    text        NOT NULL,
    jetstream  boolean     NOT NULL,
    body       bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at    timestamptz
);
CREATE UNIQUE INDEX outbox_one_posting ON outbox (reward_id) WHERE jetstream;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- One row per reward and per change of its status, for the ClickHouse ETL
-- (read by id > checkpoint).
CREATE TABLE reward_history (
    id           bigserial   PRIMARY KEY,
    reward_id    text        NOT NULL,
    context      text        NOT NULL,
    ctx_id       text        NOT NULL,
    window_start timestamptz NOT NULL,
    division     text        NOT NULL DEFAULT '',
    user_id      text        NOT NULL,
    pos          integer,
    amount_minor bigint      NOT NULL,
    currency     text        NOT NULL,
    kind         text        NOT NULL,
    status       text        NOT NULL,
    at           timestamptz NOT NULL
);

CREATE TRIGGER reward_boards_write_once BEFORE UPDATE OR DELETE ON reward_boards
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER reward_boards_no_truncate BEFORE TRUNCATE ON reward_boards
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER grants_write_once BEFORE UPDATE OR DELETE ON grants
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER grants_no_truncate BEFORE TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER ledger_postings_write_once BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER reward_history_write_once BEFORE UPDATE OR DELETE ON reward_history
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER reward_history_no_truncate BEFORE TRUNCATE ON reward_history
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();

REVOKE ALL ON reward_boards, rewards, holds, grants, ledger_postings, outbox, reward_history FROM PUBLIC;
GRANT SELECT, INSERT ON reward_boards, grants, ledger_postings, reward_history TO rankstream_app;
GRANT SELECT, INSERT, UPDATE ON rewards, outbox TO rankstream_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON holds TO rankstream_app;
GRANT USAGE, SELECT ON SEQUENCE ledger_postings_id_seq, outbox_id_seq, reward_history_id_seq TO rankstream_app;

-- +goose Down
DROP TABLE reward_history;
DROP TABLE outbox;
DROP TABLE ledger_postings;
DROP FUNCTION IF EXISTS rankstream_ledger_balanced();
DROP TABLE grants;
DROP TABLE holds;
DROP TABLE rewards;
DROP TABLE reward_boards;
