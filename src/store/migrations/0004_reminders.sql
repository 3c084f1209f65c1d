-- Version 4: reminder deliveries, so that each reminder goes out once per channel.

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
