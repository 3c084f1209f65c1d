-- Version 2: diagnostic snapshots and what each collector saw.

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
