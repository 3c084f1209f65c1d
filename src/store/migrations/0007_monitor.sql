-- Version 7: the health monitor (`incident check --open`): the incidents it opened, and what
-- its last check of each saw, so that it escalates, notes changes and tells recovery once.

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
