-- Version 3: action items, and keys that tell recurring problems.

-- The guide's "Implement Prevention Measures": follow-ups owned by someone, due by a date.
CREATE TABLE action_items (
    -- The number users type: `incident action done 7`.
    id          INTEGER PRIMARY KEY,
    incident_pk INTEGER NOT NULL REFERENCES incidents (pk),
    text        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('prevent', 'mitigate', 'detect', 'process')),
    owner       TEXT,
    due_at      TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    done_at     TEXT,
    done_by     TEXT
);

CREATE INDEX action_items_incident ON action_items (incident_pk);
CREATE INDEX action_items_done_due ON action_items (done_at, due_at);

-- similar::key of the title and the root cause, kept by the store on every write; the weekly
-- review finds recurring problems by equal keys.
ALTER TABLE incidents ADD COLUMN title_key TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN root_cause_key TEXT NOT NULL DEFAULT '';
CREATE INDEX incidents_title_key ON incidents (title_key, opened_at);
CREATE INDEX incidents_root_cause_key ON incidents (root_cause_key, opened_at);

-- The weekly review counts what was resolved and closed in a window.
CREATE INDEX incidents_resolved_at ON incidents (resolved_at);
CREATE INDEX incidents_closed_at ON incidents (closed_at);
