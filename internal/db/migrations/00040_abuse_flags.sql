-- Abuse flags (CONTRACT.md §3, docs/flags.md): uniform_timing raised by the
-- scorers, shared_device counted by the rewards stage from the device
-- sightings of the FLAGS stream; with hold, an uncleared flag holds the
-- user's rewards of that contest window (§7).
--
-- Evidence is kept as raised: the app role may INSERT flags and sightings
-- and SELECT them; its only UPDATE is clearing a flag (the cleared_at and
-- cleared_by columns, once: a trigger refuses every other change, for every
-- role). No DELETE or TRUNCATE for anyone: a cleared flag stays on record.

-- +goose Up
CREATE TABLE abuse_flags (
    id           bigserial   PRIMARY KEY,
    contest_id   text        NOT NULL,
    window_start timestamptz NOT NULL,
    user_id      text        NOT NULL,
    flag         text        NOT NULL CHECK (flag IN ('uniform_timing', 'shared_device')),
    -- what the flag is about beyond the user: the device token for
    -- shared_device (one flag per device), '' for uniform_timing
    subject      text        NOT NULL DEFAULT '',
    rule_version integer     NOT NULL,
    hold         boolean     NOT NULL,
    evidence     jsonb       NOT NULL,
    raised_at    timestamptz NOT NULL,
    cleared_at   timestamptz,
    cleared_by   text,
    UNIQUE (contest_id, window_start, user_id, flag, subject)
);
CREATE INDEX abuse_flags_holding ON abuse_flags (user_id, contest_id, window_start) WHERE hold AND cleared_at IS NULL;

-- The users of each device per contest window (one row per first sighting).
CREATE TABLE abuse_device_users (
    contest_id   text        NOT NULL,
    window_start timestamptz NOT NULL,
    device       text        NOT NULL, -- streams.DeviceToken(device.id)
    user_id      text        NOT NULL,
    device_id    text        NOT NULL,
    first_ts     timestamptz NOT NULL,
    event_id     text        NOT NULL,
    seen_at      timestamptz NOT NULL,
    PRIMARY KEY (contest_id, window_start, device, user_id)
);

-- +goose StatementBegin
CREATE FUNCTION rankstream_flag_clear_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.cleared_at IS NOT NULL OR NEW.cleared_at IS NULL
       OR (NEW.id, NEW.contest_id, NEW.window_start, NEW.user_id, NEW.flag, NEW.subject, NEW.rule_version, NEW.hold,
           NEW.evidence, NEW.raised_at)
          IS DISTINCT FROM
          (OLD.id, OLD.contest_id, OLD.window_start, OLD.user_id, OLD.flag, OLD.subject, OLD.rule_version, OLD.hold,
           OLD.evidence, OLD.raised_at) THEN
        RAISE EXCEPTION 'rankstream: an abuse flag can only be cleared, once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER abuse_flags_clear_only BEFORE UPDATE ON abuse_flags
    FOR EACH ROW EXECUTE FUNCTION rankstream_flag_clear_only();
CREATE TRIGGER abuse_flags_no_delete BEFORE DELETE ON abuse_flags
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER abuse_flags_no_truncate BEFORE TRUNCATE ON abuse_flags
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER abuse_device_users_write_once BEFORE UPDATE OR DELETE ON abuse_device_users
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER abuse_device_users_no_truncate BEFORE TRUNCATE ON abuse_device_users
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();

REVOKE ALL ON abuse_flags, abuse_device_users FROM PUBLIC;
GRANT SELECT, INSERT ON abuse_flags, abuse_device_users TO rankstream_app;
GRANT UPDATE (cleared_at, cleared_by) ON abuse_flags TO rankstream_app;
GRANT USAGE, SELECT ON SEQUENCE abuse_flags_id_seq TO rankstream_app;

-- +goose Down
DROP TABLE abuse_device_users;
DROP TABLE abuse_flags;
DROP FUNCTION IF EXISTS rankstream_flag_clear_only();
