-- Team numbers and purges (version 14).
--
-- With a team log, `number` is the number the team gave the incident (`team_number` says it
-- has one); an incident not pushed yet has a provisional number, stored negative and shown as
-- `L14`, which cannot collide with a team number. `local_number` keeps the number this working
-- copy gave it, so `L14` names it here for good.
ALTER TABLE incidents ADD COLUMN local_number INTEGER;
CREATE UNIQUE INDEX incidents_local_number ON incidents (local_number) WHERE local_number IS NOT NULL;
-- The incidents the team has not numbered: few on a copy that shares, all on one that does not.
CREATE INDEX incidents_unnumbered ON incidents (number) WHERE team_number IS NULL;

-- Events purged from the team log (`incident team purge`: a secret pasted into a shared
-- event). The event keeps its place in the timeline; its words give way to a tombstone naming
-- who purged it, when and why. The one change the append-only timeline allows.
CREATE TABLE purges (
    event_uuid TEXT PRIMARY KEY,
    purged_by  TEXT NOT NULL,
    purged_at  TEXT NOT NULL,
    reason     TEXT NOT NULL
);

-- How far this copy has applied the team log's purges (its `purges.seq`).
ALTER TABLE sync_state ADD COLUMN purged_seq INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
WHEN NOT EXISTS (SELECT 1 FROM purges WHERE event_uuid = OLD.uuid)
BEGIN
    SELECT RAISE(ABORT, 'timeline events are append-only');
END;
