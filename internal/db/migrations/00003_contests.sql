-- Contest versions and operator actions, both write-once: a change to a
-- contest is a new version; old versions stay readable.

-- +goose Up
CREATE TABLE contest_versions (
    contest_id text        NOT NULL,
    version    integer     NOT NULL CHECK (version >= 1),
    source     text        NOT NULL CHECK (source IN ('file', 'api')),
    body       bytea       NOT NULL,
    sha256     bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contest_id, version)
);

-- Freeze, unfreeze and finalize, effective for events that arrive (JetStream
-- time) at or after effective_at, so that replay decides as the live run did.
-- window_start is set for finalize (one window closed), NULL otherwise.
CREATE TABLE contest_actions (
    id           bigserial   PRIMARY KEY,
    contest_id   text        NOT NULL,
    action       text        NOT NULL CHECK (action IN ('freeze', 'unfreeze', 'finalize')),
    window_start timestamptz,
    effective_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contest_actions_contest ON contest_actions (contest_id, id);

CREATE TRIGGER contest_versions_write_once BEFORE UPDATE OR DELETE ON contest_versions
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER contest_versions_no_truncate BEFORE TRUNCATE ON contest_versions
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER contest_actions_write_once BEFORE UPDATE OR DELETE ON contest_actions
    FOR EACH ROW EXECUTE FUNCTION rankstream_write_once();
CREATE TRIGGER contest_actions_no_truncate BEFORE TRUNCATE ON contest_actions
    FOR EACH STATEMENT EXECUTE FUNCTION rankstream_write_once();

REVOKE ALL ON contest_versions, contest_actions FROM PUBLIC;
GRANT SELECT, INSERT ON contest_versions, contest_actions TO rankstream_app;
GRANT USAGE, SELECT ON SEQUENCE contest_actions_id_seq TO rankstream_app;

-- +goose Down
DROP TABLE contest_actions;
DROP TABLE contest_versions;
