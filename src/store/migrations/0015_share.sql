-- Sharing the rows behind the timeline with a team log (sharing helper's migration; the lead
-- renumbers it after the purge helper's).
--
-- Every action item, snapshot, attachment and command run gets an identity that is the same
-- on every working copy (random when written, derived from its content for rows written
-- before and for imports of files that carry none), and `shared` says how much of it has
-- reached the team log: 0 nothing, 1 the row, 2 (action items) its completion too. A pulled
-- row is shared already. Deliveries are known everywhere by (incident, kind, level, channel).
ALTER TABLE action_items ADD COLUMN uuid TEXT;
ALTER TABLE action_items ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
-- The number the team gave the action item: with a team log, the number people type (one not
-- pushed yet is `L7`, its row id, until then and here for good).
ALTER TABLE action_items ADD COLUMN team_number INTEGER;
CREATE UNIQUE INDEX action_items_team_number ON action_items (team_number) WHERE team_number IS NOT NULL;
ALTER TABLE snapshots ADD COLUMN uuid TEXT;
ALTER TABLE snapshots ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attachments ADD COLUMN uuid TEXT;
ALTER TABLE attachments ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE command_runs ADD COLUMN uuid TEXT;
ALTER TABLE command_runs ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
-- A blob whose content stayed on the team log (`[team] pull_logs = false`): its sizes and
-- hash are here, its chunks are not until `logs` or `incident sync --logs` fetches them.
ALTER TABLE blobs ADD COLUMN remote INTEGER NOT NULL DEFAULT 0;
-- How far this copy has pulled the team log's records (its `records.seq`).
ALTER TABLE sync_state ADD COLUMN records_seq INTEGER NOT NULL DEFAULT 0;
