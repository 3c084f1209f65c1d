-- Events carry what their columns cannot hold (version 9): an `opened` event's description and
-- detection time, as JSON, so that an incident can be rebuilt from its timeline alone.
ALTER TABLE events ADD COLUMN detail TEXT;
