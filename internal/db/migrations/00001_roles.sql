-- The application role: the process migrates as the connecting user (the
-- schema owner), then works as rankstream_app (SET ROLE), which may read and
-- append but never change or remove what is recorded.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rankstream_app') THEN
        CREATE ROLE rankstream_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created concurrently by another database's migration
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'rankstream_app', 'MEMBER') THEN
        EXECUTE format('GRANT rankstream_app TO %I', current_user);
    END IF;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO rankstream_app;

-- Shared by every write-once table: refuse UPDATE, DELETE and TRUNCATE.
-- +goose StatementBegin
CREATE FUNCTION rankstream_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rankstream: % on %.% refused: the table is write-once',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION IF EXISTS rankstream_write_once();
