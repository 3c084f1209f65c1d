-- History before the declaration, and one clock model (version 11).

-- When the impact began, and the SLA deadlines computed in Rust (`sla::due`) from each
-- incident's timeline: the migration's step fills them for every incident (the impact start is
-- the detection; nothing earlier was recorded).
ALTER TABLE incidents ADD COLUMN started_at TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN respond_due_at TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN resolve_due_at TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN postmortem_due_at TEXT;

-- The SLA policy the stored deadlines were judged under (`sla::Policy::fingerprint`): opening
-- the store under another policy judges every incident again.
CREATE TABLE sla_policy (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL
);

-- Action items of kind 'other'. A CHECK cannot be widened in place, so the table is rebuilt
-- with the same ids; its indexes and triggers go with the old table and are made again (the
-- triggers after the copy, so that the count of items written stays as it was).
CREATE TABLE action_items_v10 AS SELECT * FROM action_items;
DROP TABLE action_items;
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
INSERT INTO action_items (id, incident_pk, text, kind, owner, due_at, created_at, created_by,
    done_at, done_by)
SELECT id, incident_pk, text, kind, owner, due_at, created_at, created_by, done_at, done_by
FROM action_items_v10;
DROP TABLE action_items_v10;
CREATE INDEX action_items_incident ON action_items (incident_pk);
CREATE INDEX action_items_done_due ON action_items (done_at, due_at);
CREATE TRIGGER action_items_written AFTER INSERT ON action_items
BEGIN
    UPDATE search_state SET actions_written = actions_written + 1 WHERE id = 1;
END;
CREATE TRIGGER action_items_removed AFTER DELETE ON action_items
BEGIN
    UPDATE search_state SET actions_written = actions_written - 1 WHERE id = 1;
END;
