-- The event log of one service, in its own schema: the table, the group commit sealed in one
-- round trip, and the trigger that keeps the table append-only. `{schema}` stands for the
-- service's schema; everything here is safe to run again (a migration on every start).
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.events (
    position        bigint      PRIMARY KEY CHECK (position > 0),
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL CHECK (stream_version > 0),
    type            text        NOT NULL,
    schema_version  integer     NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- json, not jsonb: json keeps the text as written, which is the canonical spelling the
    -- hash was computed over, so a verify can hash what is stored without re-encoding it.
    data            json        NOT NULL,
    metadata        json        NOT NULL,
    prev_hash       bytea       NOT NULL,
    hash            bytea       NOT NULL,
    UNIQUE (stream_id, stream_version)
);
CREATE TABLE IF NOT EXISTS {schema}.checkpoints (
    name     text   PRIMARY KEY,
    position bigint NOT NULL
);
-- Group commit in one round trip: lock, check, seal and insert, for batches with nothing to
-- refuse. Returns outcome 'ok' with what it sealed, or 'check' having written nothing when an
-- id is already in the log or an expected version differs: the caller then decides per unit.
-- Each statement in a VOLATILE function takes a fresh snapshot, so what follows the lock sees
-- every append committed before it.
-- One definition only: an older one with other argument types would be an overload.
DO $drop$ DECLARE f regprocedure; BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = '{schema}' AND p.proname = 'append_sealed' LOOP
        EXECUTE 'DROP FUNCTION ' || f;
    END LOOP;
END $drop$;
CREATE FUNCTION {schema}.append_sealed(
    p_lock_key bigint, p_channel text,
    p_streams text[], p_stream_of integer[], p_expected integer[], p_counts integer[],
    p_event_ids uuid[], p_types text[], p_schema_versions integer[],
    p_occurred_at timestamptz[], p_data text[], p_metadata text[],
    p_heads bytea[], p_middles bytea[], p_tails bytea[],
    OUT outcome text, OUT first_position bigint, OUT prev_hash bytea,
    OUT recorded_at timestamptz, OUT stream_versions integer[], OUT hashes bytea[]
) LANGUAGE plpgsql VOLATILE
-- Every statement below is an index probe. Plans are cached per connection, and one made while
-- the table was nearly empty would otherwise scan it for good (measured: the id check turned
-- into a sequential scan, and appends slowed as the log grew).
SET enable_seqscan = off
AS $fn$
DECLARE
    v_versions integer[];
    v_before integer[];
    v_position bigint;
    v_hash bytea;
    v_stamp text;
    v_stream integer;
    v_event integer := 0;
    v_stream_ids text[];
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_key);
    SELECT e.position, e.hash INTO v_position, v_hash
        FROM {schema}.events e ORDER BY e.position DESC LIMIT 1;
    v_position := coalesce(v_position, 0);
    v_hash := coalesce(v_hash, decode(repeat('00', 32), 'hex'));
    outcome := 'check';
    IF EXISTS (SELECT 1 FROM {schema}.events e WHERE e.event_id = ANY(p_event_ids)) THEN
        RETURN;
    END IF;
    SELECT array_agg(coalesce((SELECT e.stream_version FROM {schema}.events e
                                WHERE e.stream_id = s.id
                                ORDER BY e.stream_version DESC LIMIT 1), 0) ORDER BY s.n)
        INTO v_versions
        FROM unnest(p_streams) WITH ORDINALITY AS s(id, n);
    v_before := v_versions;
    FOR r IN 1 .. cardinality(p_counts) LOOP
        v_stream := p_stream_of[r];
        IF p_expected[r] IS NOT NULL AND p_expected[r] <> v_versions[v_stream] THEN
            RETURN;
        END IF;
        v_versions[v_stream] := v_versions[v_stream] + p_counts[r];
    END LOOP;
    -- Nothing to refuse: from the versions before the batch, seal event by event.
    v_versions := v_before;
    outcome := 'ok';
    first_position := v_position + 1;
    prev_hash := v_hash;
    recorded_at := clock_timestamp();
    v_stamp := to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    stream_versions := '{}';
    hashes := '{}';
    v_stream_ids := '{}';
    FOR r IN 1 .. cardinality(p_counts) LOOP
        v_stream := p_stream_of[r];
        FOR k IN 1 .. p_counts[r] LOOP
            v_event := v_event + 1;
            v_position := v_position + 1;
            v_versions[v_stream] := v_versions[v_stream] + 1;
            v_hash := sha256(v_hash || p_heads[v_event]
                || convert_to(v_position::text || ',"recorded_at":"' || v_stamp || '"', 'UTF8')
                || p_middles[v_event] || convert_to(v_versions[v_stream]::text, 'UTF8')
                || p_tails[v_event]);
            stream_versions[v_event] := v_versions[v_stream];
            hashes[v_event] := v_hash;
            v_stream_ids[v_event] := p_streams[v_stream];
        END LOOP;
    END LOOP;
    INSERT INTO {schema}.events (position, event_id, stream_id, stream_version, type,
                                 schema_version, occurred_at, recorded_at, data, metadata,
                                 prev_hash, hash)
    SELECT first_position + n - 1, i, s, v, t, sv, o, recorded_at, d::json, m::json,
           CASE WHEN n = 1 THEN prev_hash ELSE hashes[n - 1] END, h
    FROM unnest(p_event_ids, v_stream_ids, stream_versions, p_types, p_schema_versions,
                p_occurred_at, p_data, p_metadata, hashes)
         WITH ORDINALITY AS u(i, s, v, t, sv, o, d, m, h, n);
    PERFORM pg_notify(p_channel, v_position::text);
END
$fn$;
CREATE OR REPLACE FUNCTION {schema}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP;
END $$;
DROP TRIGGER IF EXISTS append_only ON {schema}.events;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {schema}.events
    FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_change();
DROP TRIGGER IF EXISTS append_only_truncate ON {schema}.events;
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_change();
-- What the log held at a moment (time travel): the last position recorded by then, one index
-- probe. Stamps never go back along the log (an append stamps under the log's lock). Last, and
-- only when missing: CREATE INDEX locks out appends even when the index exists, and an append
-- holding the table while this waited for the triggers' lock would deadlock with it.
DO $index$ BEGIN
    IF to_regclass('{schema}.events_by_recorded_at') IS NULL THEN
        CREATE INDEX events_by_recorded_at ON {schema}.events (recorded_at, position);
    END IF;
END $index$;
-- Logs made before the canonical text was kept held jsonb, which respells what it stores. Their
-- rows keep that spelling (a verify re-encodes them, as before); rows appended from now on are
-- stored as sealed. Last and only when needed, for the reason above: it rewrites the table.
DO $json$ BEGIN
    IF (SELECT atttypid = 'jsonb'::regtype FROM pg_attribute
        WHERE attrelid = '{schema}.events'::regclass AND attname = 'data') THEN
        ALTER TABLE {schema}.events
            ALTER COLUMN data TYPE json USING data::text::json,
            ALTER COLUMN metadata TYPE json USING metadata::text::json;
    END IF;
END $json$;
