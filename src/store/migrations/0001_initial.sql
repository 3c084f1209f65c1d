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
    status          TEXT NOT NULL CHECK (status IN ('OPEN', 'INVESTIGATING', 'RESOLVED', 'CLOSED')),
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
    updated_at      TEXT NOT NULL
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
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'timeline events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'timeline events are append-only');
END;
