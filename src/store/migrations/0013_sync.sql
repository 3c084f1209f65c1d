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
