-- SLA pause (issue 16 item 3): while `paused_at` is set, the respond and fix clocks that had
-- not stopped or breached by then do not run; `pause_reason` is why. Both are projected from
-- the timeline's `pause` events, like every incident column.
ALTER TABLE incidents ADD COLUMN paused_at TEXT;
ALTER TABLE incidents ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
