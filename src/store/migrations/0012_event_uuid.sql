-- Every event carries an identity (version 12), the same on every working copy, in export
-- files and in the team log. Events written before get one derived from their content
-- (`Event::content_uuid`), which this migration's step sets: the append-only trigger is lifted
-- for that one UPDATE and put back, with the unique index, by the step.
ALTER TABLE events ADD COLUMN uuid TEXT;
DROP TRIGGER events_no_update;
