//! The team log's schema in PostgreSQL, as numbered steps applied in order by `team init` and
//! `team migrate`. Append-only, as the SQLite migrations are. Each step says the oldest binary
//! that can still read and write the schema once it is applied: an additive step (a new table,
//! a nullable column) keeps the previous one, so teammates who have not upgraded keep working;
//! only a step that changes what an older binary would write raises it.

/// One step: the version it brings the schema to, the oldest binary version that can still
/// work with it, and its SQL (with `{schema}` for the schema's name, a checked identifier).
pub struct Step {
    pub version: i64,
    pub min_binary: &'static str,
    pub sql: &'static str,
}

pub const STEPS: &[Step] = &[
    Step {
        version: 1,
        min_binary: "0.1.0",
        sql: V1,
    },
    // Additive: binaries that do not know these rows keep pushing and pulling events.
    Step {
        version: 2,
        min_binary: "0.1.0",
        sql: V2,
    },
    // Additive: binaries that do not know purges keep pushing and pulling (they keep a purged
    // secret on their own copy until they upgrade; the team log has only the tombstone).
    Step {
        version: 3,
        min_binary: "0.1.0",
        sql: V3,
    },
    // Additive: binaries that do not claim deliveries keep sending as they did (two copies
    // running `remind` at the same moment may both send, as before).
    Step {
        version: 4,
        min_binary: "0.1.0",
        sql: V4,
    },
    // Additive: binaries that do not claim openings keep opening as they did (two monitors or
    // two servers on different machines may each open one, as before).
    Step {
        version: 5,
        min_binary: "0.1.0",
        sql: V5,
    },
];

/// The transaction-scoped advisory lock every push takes first, keyed by the schema's name:
/// while one push is between its first insert and its commit, no other can take a `seq`, so
/// `seq` order is commit order. (A plain sequence is not: a push that started first can
/// commit after a later one, and a pull in between would move its cursor past the gap.)
pub const PUSH_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('incident push ' || $1))";

/// The newest version this binary knows.
pub fn latest() -> i64 {
    STEPS.last().map_or(0, |s| s.version)
}

/// Version 1: the bookkeeping (what version, which working copies) and the shared history.
/// Working copies only ever SELECT and INSERT (a client's last push is its newest event's
/// `pushed_at`, not a column it updates). Events
/// are append-only, for the owner too: a trigger refuses UPDATE and DELETE, whatever the
/// grants say. Pushes are serialised (`PUSH_LOCK`), so `seq` grows in commit order and a pull
/// that resumes after the last `seq` it saw never skips a change a slower push commits later.
const V1: &str = "
CREATE TABLE {schema}.meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE {schema}.clients (
    client_id  uuid PRIMARY KEY,
    author     text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.incidents (
    uuid       uuid PRIMARY KEY,
    number     bigint UNIQUE,
    created_by text NOT NULL,
    client_id  uuid NOT NULL,
    pushed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE {schema}.incident_numbers;

CREATE TABLE {schema}.events (
    seq           bigserial PRIMARY KEY,
    uuid          uuid NOT NULL UNIQUE,
    incident_uuid uuid NOT NULL REFERENCES {schema}.incidents (uuid),
    at            text NOT NULL,
    recorded_at   text NOT NULL,
    author        text NOT NULL,
    kind          text NOT NULL,
    field         text,
    old           text,
    new           text,
    text          text NOT NULL,
    detail        text,
    client_id     uuid NOT NULL,
    pushed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_incident ON {schema}.events (incident_uuid);
CREATE INDEX events_client_pushed ON {schema}.events (client_id, pushed_at);

CREATE FUNCTION {schema}.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the team log is append-only: % of % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {schema}.events
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.append_only();
";

/// Version 2: the rows behind the timeline, shared as records by UUID, each pushed in the
/// transaction of the events that mention it (`kind`: action, action_done, snapshot,
/// attachment, command, delivery; `body`: the export format's record as JSON). An action item
/// gets its team number, the one people type, from `action_numbers` when first pushed. Logs and
/// command output are content-addressed: a blob per SHA-256, its zstd chunks as the working
/// copies store them. All of it append-only, like events: a blob's row is written after its
/// chunks in the same transaction, so a blob the log lists is whole.
const V2: &str = "
CREATE SEQUENCE {schema}.action_numbers;

CREATE TABLE {schema}.records (
    seq           bigserial PRIMARY KEY,
    uuid          uuid NOT NULL UNIQUE,
    incident_uuid uuid NOT NULL REFERENCES {schema}.incidents (uuid),
    kind          text NOT NULL,
    number        bigint UNIQUE,
    body          text NOT NULL,
    client_id     uuid NOT NULL,
    pushed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX records_incident ON {schema}.records (incident_uuid);

CREATE TABLE {schema}.chunks (
    sha256     text NOT NULL,
    seq        integer NOT NULL,
    first_line bigint NOT NULL,
    lines      bigint NOT NULL,
    size       bigint NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (sha256, seq)
);

CREATE TABLE {schema}.blobs (
    sha256    text PRIMARY KEY,
    size      bigint NOT NULL,
    lines     bigint NOT NULL,
    stored    bigint NOT NULL,
    client_id uuid NOT NULL,
    pushed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON {schema}.records
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON {schema}.records
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER chunks_append_only BEFORE UPDATE OR DELETE ON {schema}.chunks
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER blobs_append_only BEFORE UPDATE OR DELETE ON {schema}.blobs
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
";

/// Version 3: purges, the one audited exception to append-only events (`incident team
/// purge`). A purge is a row of `purges` (who, when, why, and the database role that did it)
/// and, in the same transaction, the event's words replaced by the tombstone `tombstone()`
/// makes of that row. The trigger on events lets an UPDATE through only for an event with a
/// purge, only to its tombstone, and only of its words; DELETE and TRUNCATE stay refused.
/// Purges are append-only themselves, and only a role that may UPDATE events (the owner; the
/// README's working-copy role may not) may add one, whatever INSERT the grants give: a
/// working copy applies every purge it pulls. Purges take `PUSH_LOCK`, so `seq` is commit
/// order and a copy's cursor (`sync_state.purged_seq`) never skips one.
const V3: &str = "
CREATE TABLE {schema}.purges (
    seq        bigserial PRIMARY KEY,
    event_uuid uuid NOT NULL UNIQUE REFERENCES {schema}.events (uuid),
    purged_by  text NOT NULL,
    purged_at  timestamptz NOT NULL DEFAULT now(),
    reason     text NOT NULL CHECK (btrim(reason) <> ''),
    purged_as  text NOT NULL DEFAULT current_user
);

CREATE FUNCTION {schema}.tombstone(purged_by text, purged_at timestamptz, reason text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT '[purged by ' || purged_by || ' at '
        || to_char(purged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
        || ': ' || reason || ']'
$$;

CREATE FUNCTION {schema}.purge_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tomb text;
BEGIN
    SELECT {schema}.tombstone(p.purged_by, p.purged_at, p.reason) INTO tomb
    FROM {schema}.purges p WHERE p.event_uuid = OLD.uuid;
    IF tomb IS NULL
       OR (NEW.seq, NEW.uuid, NEW.incident_uuid, NEW.at, NEW.recorded_at, NEW.author, NEW.kind,
           NEW.field, NEW.detail, NEW.client_id, NEW.pushed_at)
          IS DISTINCT FROM
          (OLD.seq, OLD.uuid, OLD.incident_uuid, OLD.at, OLD.recorded_at, OLD.author, OLD.kind,
           OLD.field, OLD.detail, OLD.client_id, OLD.pushed_at)
       OR NEW.text IS DISTINCT FROM tomb
       OR (NEW.old IS DISTINCT FROM OLD.old AND NEW.old IS DISTINCT FROM tomb)
       OR (NEW.new IS DISTINCT FROM OLD.new AND NEW.new IS DISTINCT FROM tomb)
    THEN
        RAISE EXCEPTION 'the team log is append-only: UPDATE of events refused (only a purge replaces an event''s words, with its tombstone)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION {schema}.owner_purges() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT has_table_privilege('{schema}.events', 'UPDATE') THEN
        RAISE EXCEPTION 'purging needs the team log''s owner role'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER events_append_only ON {schema}.events;
CREATE TRIGGER events_append_only BEFORE DELETE ON {schema}.events
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER events_purge_only BEFORE UPDATE ON {schema}.events
    FOR EACH ROW EXECUTE FUNCTION {schema}.purge_only();

CREATE TRIGGER purges_by_owner BEFORE INSERT ON {schema}.purges
    FOR EACH ROW EXECUTE FUNCTION {schema}.owner_purges();
CREATE TRIGGER purges_append_only BEFORE UPDATE OR DELETE ON {schema}.purges
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER purges_no_truncate BEFORE TRUNCATE ON {schema}.purges
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.append_only();
";

/// Version 4: delivery claims, so that two working copies running `remind` at the same moment
/// send each reminder once per channel. A claim names the delivery as every copy does (the
/// UUID of its `delivery` record: incident, kind, level, channel) and an attempt number; the
/// primary key lets one attempt of a delivery exist, so of two copies inserting attempt 1 at
/// once one inserts and the other finds it taken. A claim is stale when it is older than
/// `stale` (server time, so machines' clocks do not matter) and the delivery's record has not
/// reached the team log: its sender died, or lost the team log, before recording it, and the
/// next claim (attempt + 1) takes it over. Append-only like the rest: a claim is never
/// updated, a newer attempt supersedes it.
///
/// `claim_deliveries` claims a batch in one round trip and answers, for every key, whether
/// this call won it and who holds it. A function because the answer needs a second statement:
/// an INSERT that found a key taken by a claim committed while it waited cannot see that
/// claim's author in its own snapshot, and a VOLATILE function's next statement can. Keys are
/// inserted in order, so two batches with common keys wait for each other, never deadlock.
const V4: &str = "
CREATE TABLE {schema}.delivery_claims (
    delivery   uuid NOT NULL,
    attempt    integer NOT NULL CHECK (attempt > 0),
    client_id  uuid NOT NULL,
    author     text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery, attempt)
);

CREATE TRIGGER delivery_claims_append_only BEFORE UPDATE OR DELETE ON {schema}.delivery_claims
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER delivery_claims_no_truncate BEFORE TRUNCATE ON {schema}.delivery_claims
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.append_only();

CREATE FUNCTION {schema}.claim_deliveries(keys uuid[], client uuid, who text, stale interval)
RETURNS TABLE (claimed uuid, won boolean, holder text, holder_client uuid)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    taken uuid[];
BEGIN
    WITH latest AS (
        SELECT DISTINCT ON (c.delivery) c.delivery, c.attempt, c.client_id, c.claimed_at
        FROM {schema}.delivery_claims c
        WHERE c.delivery = ANY (keys)
        ORDER BY c.delivery, c.attempt DESC
    ), added AS (
        INSERT INTO {schema}.delivery_claims (delivery, attempt, client_id, author)
        SELECT w.k, coalesce(l.attempt, 0) + 1, client, who
        FROM (SELECT DISTINCT unnest(keys) AS k) w
        LEFT JOIN latest l ON l.delivery = w.k
        WHERE NOT EXISTS (SELECT 1 FROM {schema}.records r WHERE r.uuid = w.k)
          AND (l.delivery IS NULL OR l.client_id = client OR l.claimed_at < now() - stale)
        ORDER BY w.k
        ON CONFLICT DO NOTHING
        RETURNING delivery
    )
    SELECT coalesce(array_agg(a.delivery), '{}') INTO taken FROM added a;
    RETURN QUERY
        SELECT w.k, w.k = ANY (taken),
               coalesce(h.author, d.author), coalesce(h.client_id, d.client_id)
        FROM (SELECT DISTINCT unnest(keys) AS k) w
        LEFT JOIN LATERAL (
            SELECT c.author, c.client_id FROM {schema}.delivery_claims c
            WHERE c.delivery = w.k ORDER BY c.attempt DESC LIMIT 1
        ) h ON true
        LEFT JOIN LATERAL (
            SELECT cl.author, r.client_id FROM {schema}.records r
            LEFT JOIN {schema}.clients cl ON cl.client_id = r.client_id
            WHERE r.uuid = w.k
        ) d ON true;
END $$;
";

/// Version 5: opening claims, so that monitors (`check --open`) and alert intakes (`serve`)
/// on different machines open one incident between them. A claim names what is opened (`kind`:
/// `monitor` or `alert-group`; `key`: the monitor's name, or receiver and groupKey) and its
/// episode (1, then 2 once the first episode's incident is done, …), and carries the UUID of
/// the incident the winner opened: the losers attach to that one, pulling it if they must.
/// The primary key lets one claim of an episode exist; append-only like the rest.
///
/// `claim_open` inserts a claim and answers the episode's claim, whoever made it, in one round
/// trip: a function because the INSERT that found the key taken by a claim committed while it
/// waited cannot see that claim in its own snapshot, and the next statement of a VOLATILE
/// function can.
const V5: &str = "
CREATE TABLE {schema}.open_claims (
    kind          text NOT NULL,
    key           text NOT NULL,
    episode       integer NOT NULL CHECK (episode > 0),
    incident_uuid uuid NOT NULL,
    client_id     uuid NOT NULL,
    author        text NOT NULL,
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key, episode)
);

CREATE TRIGGER open_claims_append_only BEFORE UPDATE OR DELETE ON {schema}.open_claims
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE TRIGGER open_claims_no_truncate BEFORE TRUNCATE ON {schema}.open_claims
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.append_only();

-- The narrow pull's question (which incidents are unresolved) reads each incident's status
-- changes only.
CREATE INDEX events_status ON {schema}.events (incident_uuid, at) WHERE kind = 'status';

CREATE FUNCTION {schema}.claim_open(k text, ky text, ep integer, incident uuid, client uuid,
                                    who text)
RETURNS TABLE (c_episode integer, c_incident uuid, c_won boolean, c_holder text,
               c_holder_client uuid)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    added boolean;
BEGIN
    INSERT INTO {schema}.open_claims (kind, key, episode, incident_uuid, client_id, author)
    VALUES (k, ky, ep, incident, client, who)
    ON CONFLICT DO NOTHING;
    added := FOUND;
    RETURN QUERY
        SELECT c.episode, c.incident_uuid, added, c.author, c.client_id
        FROM {schema}.open_claims c
        WHERE c.kind = k AND c.key = ky AND c.episode = ep;
END $$;
";

/// Compares dotted versions numerically (`0.10.0` is newer than `0.9.3`); a part that is not
/// a number compares as 0, so a malformed version never panics.
pub fn version_at_least(version: &str, min: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.split(['.', '-', '+'])
            .take(3)
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    parts(version) >= parts(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_from_one_without_gaps() {
        for (i, step) in STEPS.iter().enumerate() {
            assert_eq!(step.version, i as i64 + 1);
            assert!(step.sql.contains("{schema}."));
        }
        assert_eq!(latest(), STEPS.len() as i64);
    }

    #[test]
    fn versions_compare_by_number() {
        assert!(version_at_least("0.10.0", "0.9.3"));
        assert!(version_at_least("0.1.0", "0.1.0"));
        assert!(!version_at_least("0.1.0", "0.2.0"));
        assert!(!version_at_least("1.2.3", "99.0.0"));
        assert!(version_at_least("1.0.0-rc1", "0.9"));
    }
}
