-- The current schema of the incident database, applied whole to a new database.
-- Existing databases reach it through the append-only migrations in src/store/migrations/,
-- keyed by PRAGMA user_version; a test checks that both paths give the same schema.
-- Times are RFC 3339 UTC text ("2026-11-29T04:48:51Z"): sortable, and readable in the sqlite3 shell.

CREATE TABLE incidents (
    pk              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    number          INTEGER NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    severity        TEXT NOT NULL CHECK (severity IN ('P1', 'P2', 'P3')),
    status          TEXT NOT NULL CHECK (status IN ('OPEN', 'INVESTIGATING', 'RESOLVED', 'CLOSED', 'CANCELLED')),
    root_cause      TEXT NOT NULL DEFAULT '',
    resolution      TEXT NOT NULL DEFAULT '',
    prevention      TEXT NOT NULL DEFAULT '',
    lessons_learned TEXT NOT NULL DEFAULT '',
    detected_at     TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    acknowledged_at TEXT,
    resolved_at     TEXT,
    closed_at       TEXT,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    -- similar::key of the title and the root cause, kept by the store on every write; the
    -- weekly review finds recurring problems by equal keys (version 3).
    title_key       TEXT NOT NULL DEFAULT '',
    root_cause_key  TEXT NOT NULL DEFAULT '',
    -- When the impact began (started_at <= detected_at <= opened_at), and the SLA deadlines
    -- as `sla::due` computed them from the timeline when the incident was last written: the
    -- respond and fix clocks run from detected_at; a stopped clock keeps the deadline of the
    -- severity in force when it stopped. `list --breached`, `sla`, `remind` and the review
    -- judge these columns (version 11).
    started_at        TEXT NOT NULL DEFAULT '',
    respond_due_at    TEXT NOT NULL DEFAULT '',
    resolve_due_at    TEXT NOT NULL DEFAULT '',
    -- NULL until resolved.
    postmortem_due_at TEXT
);

-- The SLA policy the stored deadlines were judged under (`sla::Policy::fingerprint`): opening
-- the store under another policy judges every incident again (version 11).
CREATE TABLE sla_policy (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL
);

-- `list` filters by status and severity and sorts newest first by number.
CREATE INDEX incidents_status_number ON incidents (status, number);
CREATE INDEX incidents_status_severity_number ON incidents (status, severity, number);
CREATE INDEX incidents_opened_at ON incidents (opened_at);

-- The timeline. `at` is when it happened (backdating allowed), `recorded_at` when it was typed.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    incident_pk INTEGER NOT NULL REFERENCES incidents (pk),
    at          TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    author      TEXT NOT NULL,
    -- opened, note, status, severity, field, snapshot; later versions add kinds, so no CHECK
    -- (a CHECK cannot be widened without rebuilding the table).
    kind        TEXT NOT NULL,
    field       TEXT,
    old_value   TEXT,
    new_value   TEXT,
    text        TEXT NOT NULL DEFAULT ''
);

CREATE INDEX events_incident_at ON events (incident_pk, at, id);

-- The timeline is append-only: what was recorded stays recorded.
-- (version 14: except an event purged from the team log, whose words give way to a tombstone)
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
WHEN NOT EXISTS (SELECT 1 FROM purges WHERE event_uuid = OLD.uuid)
BEGIN
    SELECT RAISE(ABORT, 'timeline events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'timeline events are append-only');
END;

-- Diagnostic snapshots and what each collector saw (version 2).

CREATE TABLE snapshots (
    id          INTEGER PRIMARY KEY,
    -- NULL for a snapshot taken without an incident (`incident check`).
    incident_pk INTEGER REFERENCES incidents (pk),
    -- Numbered 1, 2, … within an incident: `incident show N --snapshot K`.
    seq         INTEGER NOT NULL,
    taken_at    TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    summary     TEXT NOT NULL,
    findings    TEXT NOT NULL DEFAULT '[]',
    UNIQUE (incident_pk, seq)
);

-- Already redacted when written.
CREATE TABLE snapshot_items (
    id          INTEGER PRIMARY KEY,
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    collector   TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'timeout')),
    duration_ms INTEGER NOT NULL,
    error       TEXT,
    data        TEXT NOT NULL DEFAULT 'null',
    raw         TEXT NOT NULL DEFAULT ''
);

CREATE INDEX snapshot_items_snapshot ON snapshot_items (snapshot_id);

-- Action items and recurring problems (version 3).

CREATE INDEX incidents_title_key ON incidents (title_key, opened_at);
CREATE INDEX incidents_root_cause_key ON incidents (root_cause_key, opened_at);
CREATE INDEX incidents_resolved_at ON incidents (resolved_at);
CREATE INDEX incidents_closed_at ON incidents (closed_at);

-- The guide's "Implement Prevention Measures": follow-ups owned by someone, due by a date.
CREATE TABLE action_items (
    -- The number users type: `incident action done 7`.
    id          INTEGER PRIMARY KEY,
    incident_pk INTEGER NOT NULL REFERENCES incidents (pk),
    text        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('prevent', 'mitigate', 'detect', 'process', 'other')),
    owner       TEXT,
    due_at      TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    done_at     TEXT,
    done_by     TEXT
);

CREATE INDEX action_items_incident ON action_items (incident_pk);
CREATE INDEX action_items_done_due ON action_items (done_at, due_at);

-- Reminder deliveries, so that each reminder goes out once per channel (version 4).

CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    incident_pk INTEGER NOT NULL REFERENCES incidents (pk),
    -- respond, resolve, postmortem, action, stale
    kind        TEXT NOT NULL,
    -- What is reminded of within the kind: approaching, breached, repeat-3, overdue, action-7, …
    level       TEXT NOT NULL,
    -- stdout, or a [[notify]] name
    channel     TEXT NOT NULL,
    -- When it came due (the moment it refers to), and when it was handed over.
    due_at      TEXT NOT NULL,
    -- 'sending' while a process delivers it (claimed_at tells a crashed one), then 'sent'.
    state       TEXT NOT NULL CHECK (state IN ('sending', 'sent')),
    claimed_at  TEXT NOT NULL,
    sent_at     TEXT,
    UNIQUE (incident_pk, kind, level, channel)
);

-- Attached logs and command runs, their content stored once per hash (version 5).
-- Content stored once however many attachments or command runs refer to it. `hash` is the
-- SHA-256 of the content as stored (after redaction); while an attach is still streaming it is
-- a provisional 'pending:…' key, replaced or dropped before the transaction commits.
CREATE TABLE blobs (
    id          INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    -- Uncompressed bytes, lines (a last line without a newline counts), compressed bytes.
    size        INTEGER NOT NULL DEFAULT 0,
    lines       INTEGER NOT NULL DEFAULT 0,
    stored      INTEGER NOT NULL DEFAULT 0
);

-- A blob's content in order, in pieces of about 1 MiB cut at a line boundary when one is near,
-- each zstd-compressed on its own: reading, tailing and indexing go chunk by chunk with bounded
-- memory, and first_line (1-based) lets a hit inside a chunk be turned into a line number.
CREATE TABLE blob_chunks (
    id          INTEGER PRIMARY KEY,
    blob_id     INTEGER NOT NULL REFERENCES blobs (id),
    seq         INTEGER NOT NULL,
    first_line  INTEGER NOT NULL,
    -- Newlines in the chunk, and its uncompressed size.
    lines       INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL,
    UNIQUE (blob_id, seq)
);

-- Logs attached to an incident (`incident attach`), numbered 1, 2, … within it.
CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    incident_pk INTEGER NOT NULL REFERENCES incidents (pk),
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    blob_id     INTEGER NOT NULL REFERENCES blobs (id),
    -- Secrets replaced while streaming it in.
    redactions  INTEGER NOT NULL DEFAULT 0,
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    UNIQUE (incident_pk, seq)
);

CREATE INDEX attachments_blob ON attachments (blob_id);

-- Commands run through `incident exec`, numbered 1, 2, … within an incident. The command line
-- and the output are redacted; the output is cut at output_cap bytes.
CREATE TABLE command_runs (
    id           INTEGER PRIMARY KEY,
    incident_pk  INTEGER NOT NULL REFERENCES incidents (pk),
    seq          INTEGER NOT NULL,
    command      TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    -- One of the two: the exit code, or the signal that killed it.
    exit_code    INTEGER,
    signal       INTEGER,
    -- stdout and stderr interleaved as they arrived.
    output_blob_id INTEGER NOT NULL REFERENCES blobs (id),
    output_bytes INTEGER NOT NULL,
    output_cap   INTEGER NOT NULL,
    run_by       TEXT NOT NULL,
    UNIQUE (incident_pk, seq)
);

CREATE INDEX command_runs_blob ON command_runs (output_blob_id);

-- Full-text search over everything recorded (version 6).

-- What each entry of the `search` index is. A field, note, snapshot text or command line keeps
-- its text in `body`; a stored chunk of an attached log or command output points at the chunk
-- (whose compressed data is the text) and is joined to its attachments and command runs when
-- searched, so content attached twice is indexed once.
CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    -- field, note, snapshot, command (a command line), chunk; action (version 8); lesson
    -- and link (version 20, `ref` the lesson's list or where the link belongs); mark (a count
    -- kept beside the index, never in it)
    kind        TEXT NOT NULL,
    -- NULL for a chunk: its attachments and command runs say whose it is.
    incident_pk INTEGER REFERENCES incidents (pk),
    -- Which field, snapshot item or command run: 'root_cause', 'snapshot 1 logs/app=updater'.
    ref         TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL DEFAULT '',
    body        TEXT,
    chunk_id    INTEGER REFERENCES blob_chunks (id)
);

CREATE INDEX search_docs_incident ON search_docs (incident_pk, kind, ref);
-- (chunk_id: a chunk's entry, versions 6 to 9; lines are indexed in search_line since 10.)

-- The index itself, rowid = search_docs.id. Contentless: the text is in search_docs.body or
-- in the compressed chunk, not stored a second time (uncompressed) here.
CREATE VIRTUAL TABLE search USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Notes are indexed in batches when `search` runs, not by `note` itself: a note stays one
-- insert on the hot path. The events up to this id are in the index.
CREATE TABLE search_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    notes_through INTEGER NOT NULL
);
INSERT INTO search_state (id, notes_through) VALUES (1, 0);

-- The health monitor (version 7).

CREATE TABLE monitor (
    incident_pk    INTEGER PRIMARY KEY REFERENCES incidents (pk),
    last_check_at  TEXT NOT NULL,
    last_score     REAL NOT NULL,
    -- The severity the last check implied; NULL when it found the system healthy.
    last_severity  TEXT CHECK (last_severity IN ('P1', 'P2', 'P3')),
    -- Healthy checks in a row since the last unhealthy one.
    healthy_streak INTEGER NOT NULL DEFAULT 0,
    -- When "health recovered" went into the timeline; NULL again once health degrades.
    recovered_at   TEXT
);

-- How many action items were ever written, kept by triggers. A search compares it with how
-- many are indexed to tell whether some are not (an import keeps ids from its file; versions
-- before 6 indexed none): counting the table on every search instead cost half a millisecond
-- at 37,000 items, a tenth of a search.
ALTER TABLE search_state ADD COLUMN actions_written INTEGER NOT NULL DEFAULT 0;
UPDATE search_state SET actions_written = (SELECT count(*) FROM action_items);
CREATE TRIGGER action_items_written AFTER INSERT ON action_items
BEGIN
    UPDATE search_state SET actions_written = actions_written + 1 WHERE id = 1;
END;
CREATE TRIGGER action_items_removed AFTER DELETE ON action_items
BEGIN
    UPDATE search_state SET actions_written = actions_written - 1 WHERE id = 1;
END;

-- Events carry what their columns cannot hold (version 9): an `opened` event's description and
-- detection time, as JSON, so that an incident can be rebuilt from its timeline alone
-- (`projection::replay`). NULL for other kinds and for events written before.
ALTER TABLE events ADD COLUMN detail TEXT;

-- Search by line (version 10): every line of an attached log or command output is a row of
-- its own, so that AND, NOT, phrases and NEAR hold within one line.

-- One row per line that holds a word, rowid = blob id << 36 | line number (1-based): a blob's
-- lines are one range of rowids in file order. Contentless (the text is in the compressed
-- chunks) and without column sizes (lines are not ranked): its cost is the words' positions.
CREATE VIRTUAL TABLE search_line USING fts5(
    text,
    content = '',
    columnsize = 0,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Whether a blob's lines are in `search_line` (content attached twice is indexed once).
ALTER TABLE blobs ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;

-- Each chunk's line range without its data (a covering index): which chunks hold the lines a
-- search shows is read from a few index pages, not a table page per 16 KB chunk.
CREATE INDEX blob_chunks_lines ON blob_chunks (blob_id, first_line, seq, lines, size);

-- Every event carries an identity (version 12), the same on every working copy, in export
-- files and in the team log: random for a new event, derived from the content of one written
-- before (`Event::content_uuid`), so that copies moved by export and import agree.
ALTER TABLE events ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX events_uuid ON events (uuid);

-- Sharing with a team log (version 13): this working copy's identity, how far it has pushed
-- its events (by `events.id`) and pulled the team's (by the team log's `seq`), and when it last
-- reached the team log. One row, written at the first push.
CREATE TABLE sync_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    client_id       TEXT NOT NULL,
    pushed_event_id INTEGER NOT NULL DEFAULT 0,
    pulled_seq      INTEGER NOT NULL DEFAULT 0,
    last_sync       TEXT
);

-- The number the team gave an incident at its first push (NULL until then, or without a team).
ALTER TABLE incidents ADD COLUMN team_number INTEGER;

-- Team numbers (version 14). With a team log, `number` is the number the team gave the
-- incident (`team_number` says it has one); one not pushed yet has a provisional number,
-- stored negative and shown as `L14`, which cannot collide with a team number. `local_number`
-- keeps the number this working copy gave it, so `L14` names it here for good.
ALTER TABLE incidents ADD COLUMN local_number INTEGER;
CREATE UNIQUE INDEX incidents_local_number ON incidents (local_number) WHERE local_number IS NOT NULL;
CREATE INDEX incidents_unnumbered ON incidents (number) WHERE team_number IS NULL;

-- Events purged from the team log (`incident team purge`: a secret pasted into a shared
-- event): the event keeps its place, its words give way to a tombstone (version 14).
CREATE TABLE purges (
    event_uuid TEXT PRIMARY KEY,
    purged_by  TEXT NOT NULL,
    purged_at  TEXT NOT NULL,
    reason     TEXT NOT NULL
);

-- How far this copy has applied the team log's purges (its `purges.seq`).
ALTER TABLE sync_state ADD COLUMN purged_seq INTEGER NOT NULL DEFAULT 0;

-- Sharing the rows behind the timeline with a team log. Every action item, snapshot,
-- attachment and command run has an identity that is the same on every working copy; `shared`
-- says how much of it reached the team log (0 nothing, 1 the row, 2 an action item's
-- completion too); a pulled row is shared already.
ALTER TABLE action_items ADD COLUMN uuid TEXT;
ALTER TABLE action_items ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
-- With a team log, the number people type (`L7`, the row id, until the team numbers it).
ALTER TABLE action_items ADD COLUMN team_number INTEGER;
CREATE UNIQUE INDEX action_items_team_number ON action_items (team_number) WHERE team_number IS NOT NULL;
ALTER TABLE snapshots ADD COLUMN uuid TEXT;
ALTER TABLE snapshots ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN uuid TEXT;
ALTER TABLE attachments ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE command_runs ADD COLUMN uuid TEXT;
ALTER TABLE command_runs ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
-- Content that stayed on the team log (`[team] pull_logs = false`): sizes and hash here,
-- chunks fetched on demand.
ALTER TABLE blobs ADD COLUMN remote INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN records_seq INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX action_items_uuid ON action_items (uuid);
CREATE UNIQUE INDEX snapshots_uuid ON snapshots (uuid);
CREATE UNIQUE INDEX attachments_uuid ON attachments (uuid);
CREATE UNIQUE INDEX command_runs_uuid ON command_runs (uuid);
CREATE INDEX action_items_unshared ON action_items (shared) WHERE shared < 2;
CREATE INDEX snapshots_unshared ON snapshots (shared) WHERE shared = 0;
CREATE INDEX attachments_unshared ON attachments (shared) WHERE shared = 0;
CREATE INDEX command_runs_unshared ON command_runs (shared) WHERE shared = 0;
CREATE INDEX deliveries_unshared ON deliveries (shared) WHERE shared = 0;

-- Delivery claims across working copies: who claimed a 'sending' row, when another copy did
-- (NULL: this copy).
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;

-- SLA pause (version 17): while `paused_at` is set, the
-- respond and fix clocks that had not stopped or breached by then do not run (`sla::due`,
-- `sla::clocks`); `pause_reason` is why. Both are projected from the timeline's `pause` events.
ALTER TABLE incidents ADD COLUMN paused_at TEXT;
ALTER TABLE incidents ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';

-- The post-mortem's prose fields (version 18): impact, trigger and detection, set by `update`
-- as `field` events like the guide's fields.
ALTER TABLE incidents ADD COLUMN impact TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN trigger TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN detection TEXT NOT NULL DEFAULT '';
-- When its post-mortem was published, while that is its status (`postmortem` events): the
-- post-mortem clock stops at this or the close, the earlier.
ALTER TABLE incidents ADD COLUMN published_at TEXT;

-- Roles and services (version 19): who holds which role (a JSON object, role -> name; the
-- opener is the commander until someone else is named) and the services it affects (a sorted
-- JSON array), as the timeline's role and service events leave them. `list --service` and the
-- review's service breakdown read `services` through json_each.
ALTER TABLE incidents ADD COLUMN roles TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN services TEXT NOT NULL DEFAULT '[]';

-- SLA terms (version 20): the target and calendar each deadline above was judged by
-- (`domain::terms::Rules` as JSON; '{}' is 24x7 under the targets of the time). The terms
-- themselves are recorded in the timeline, in the `detail` of the event that started or
-- changed a clock, so later config changes do not rewrite the deadlines.
ALTER TABLE incidents ADD COLUMN clock_rules TEXT NOT NULL DEFAULT '{}';

-- The post-mortem in full-text search (version 21): impact, trigger and detection are indexed
-- as fields, lessons and links as documents of kinds 'lesson' and 'link'. No table changes;
-- the migration's Rust step indexes what versions 18 and 19 recorded.

-- The alert intake (version 22): each Alertmanager alert group (receiver +
-- groupKey) and the incident it feeds, as last notified, and each of its alerts with its
-- labels, annotations and generator link. A group whose incident is done and fires again gets a
-- new row for its new incident; the newest row of a group is the one notifications update.
CREATE TABLE alert_groups (
    id           INTEGER PRIMARY KEY,
    receiver     TEXT NOT NULL,
    group_key    TEXT NOT NULL,
    incident_pk  INTEGER NOT NULL REFERENCES incidents (pk),
    -- The group's status in its last notification.
    status       TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    -- How many alerts Alertmanager left out of its last notification.
    truncated    INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL
);
CREATE INDEX alert_groups_by_key ON alert_groups (receiver, group_key, id);
CREATE INDEX alert_groups_by_incident ON alert_groups (incident_pk);

CREATE TABLE alerts (
    group_id      INTEGER NOT NULL REFERENCES alert_groups (id),
    -- Alertmanager's fingerprint (the labels' JSON when a sender gives none).
    fingerprint   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    labels        TEXT NOT NULL,   -- JSON object
    annotations   TEXT NOT NULL,   -- JSON object
    generator_url TEXT NOT NULL DEFAULT '',
    starts_at     TEXT NOT NULL,
    ends_at       TEXT,
    PRIMARY KEY (group_id, fingerprint)
);
